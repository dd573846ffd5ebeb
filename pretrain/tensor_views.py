"""MoCo-v2 crops and LeOCLR's original view as batched tensor ops on the training device (CPU or GPU).

The same views as the PIL path (`pretrain.views`), drawn differently: every sample's parameters are a fixed
vector of uniforms per view, a function of (seed, epoch, index) alone. So a sample's views depend on nothing else
in its batch (batch size, order, workers, device, restarts); the test compares them with the PIL path's statistics.
Two generators of those uniforms (`generator=`):
- `counter` (issue 21): splitmix64 of (seed, epoch, index, slot) in int64 tensor ops on the images' device
  (`pretrain.counter_rng`): no host round-trip, the same bits on CPU and GPU. The slots follow the crops, not the
  view list: a method's k-th crop reads the k-th crop's slots whatever other views it takes, so LeOCLR and
  MoCo-v2 runs paired by seed cut the same two crops of every image.
- `numpy` (the first generator, kept so that archived runs re-run as they were): one numpy generator per sample,
  seeded by `pretrain.data.sample_seed`, uniforms laid out view after view.

Per view the uniforms feed, in a fixed layout (`SLOTS`): RandomResizedCrop (torchvision's 10 attempts and its
centre-crop fallback, vectorised), colour jitter (applied with p, factors, and the order of the four ops, per
sample as in torchvision), grayscale, Gaussian blur and horizontal flip. Pixel work is library code: crop+resize
is torchvision's `roi_align` (half-pixel aligned bilinear, averaging when it shrinks), colour ops are the
`kornia.enhance` functions behind kornia's torchvision-aligned `ColorJitter` with per-sample factors, blur is
`kornia.filters.gaussian_blur2d`. Views come back as uint8 N×3×S×S, like the PIL path's.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from kornia.color import rgb_to_grayscale
from kornia.enhance import (adjust_brightness_accumulative, adjust_contrast_with_mean_subtraction, adjust_hue,
                            adjust_saturation_with_gray_subtraction)
from kornia.filters import filter2d_separable, gaussian_blur2d, get_gaussian_kernel1d
from torchvision.ops import roi_align
from torchvision.transforms.v2 import functional as TF

from pretrain.counter_rng import uniforms as counter_uniforms
from pretrain.views import ORIGINAL_MODES

CROP_ATTEMPTS = 10  # torchvision's RandomResizedCrop tries 10 draws before falling back to a centre crop
SLOTS = dict(crop_scale=slice(0, 10), crop_log_ratio=slice(10, 20), crop_top=20, crop_left=21,
             jitter_apply=22, jitter_factors=slice(23, 27), jitter_order=slice(27, 31),
             gray=31, blur_apply=32, blur_sigma=33, flip=34)
UNIFORMS_PER_VIEW = 35
DEFAULT_RATIO = (3 / 4, 4 / 3)
GENERATORS = ("counter", "numpy")
ORIGINAL_SLOT_BASE = 8  # counter slots: crop k at k·35, the k-th original view at (8 + k)·35 (≤ 8 crops per sample)


def per_sample_uniforms(seeds: Sequence[int], count: int) -> np.ndarray:
    """N × count uniforms in [0, 1); row n from a generator seeded by seeds[n] alone."""
    return np.stack([np.random.default_rng(int(seed)).random(count) for seed in seeds])


def sample_crop_boxes(u: np.ndarray, heights, widths, scale=(0.2, 1.0), ratio=DEFAULT_RATIO) -> np.ndarray:
    """torchvision `RandomResizedCrop.get_params`, vectorised: (top, left, height, width) per row of `u`
    (N × ≥ 22 uniforms in the `SLOTS` layout), for images of the given sizes."""
    heights = np.broadcast_to(np.asarray(heights, dtype=np.int64), (len(u),))
    widths = np.broadcast_to(np.asarray(widths, dtype=np.int64), (len(u),))
    area = (heights * widths)[:, None]
    log_ratio = np.log(ratio)
    target_area = area * (scale[0] + (scale[1] - scale[0]) * u[:, SLOTS["crop_scale"]])
    aspect = np.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * u[:, SLOTS["crop_log_ratio"]])
    w = np.round(np.sqrt(target_area * aspect)).astype(np.int64)
    h = np.round(np.sqrt(target_area / aspect)).astype(np.int64)
    ok = (w > 0) & (w <= widths[:, None]) & (h > 0) & (h <= heights[:, None])
    first = ok.argmax(axis=1)
    rows = np.arange(len(u))
    h, w, found = h[rows, first], w[rows, first], ok.any(axis=1)
    # torchvision's randint(0, H - h + 1), from one uniform
    top = np.floor(u[:, SLOTS["crop_top"]] * (heights - h + 1)).astype(np.int64)
    left = np.floor(u[:, SLOTS["crop_left"]] * (widths - w + 1)).astype(np.int64)
    # fallback: the largest centre crop whose aspect lies within `ratio`
    in_ratio = widths / heights
    fb_w = np.where(in_ratio < ratio[0], widths,
                    np.where(in_ratio > ratio[1], np.round(heights * ratio[1]), widths)).astype(np.int64)
    fb_h = np.where(in_ratio < ratio[0], np.round(widths / ratio[0]),
                    np.where(in_ratio > ratio[1], heights, heights)).astype(np.int64)
    top = np.where(found, top, (heights - fb_h) // 2)
    left = np.where(found, left, (widths - fb_w) // 2)
    return np.stack([top, left, np.where(found, h, fb_h), np.where(found, w, fb_w)], axis=1)


def crop_boxes(u: torch.Tensor, heights, widths, scale=(0.2, 1.0), ratio=DEFAULT_RATIO) -> torch.Tensor:
    """`sample_crop_boxes` in tensor ops on `u`'s device (float64 uniforms): the counter generator's crops, drawn
    without leaving the device. Same definition; the test checks both agree on the same uniforms."""
    n, device = len(u), u.device
    heights = torch.as_tensor(heights, dtype=torch.float64, device=device).expand(n)
    widths = torch.as_tensor(widths, dtype=torch.float64, device=device).expand(n)
    area = (heights * widths)[:, None]
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    target_area = area * (scale[0] + (scale[1] - scale[0]) * u[:, SLOTS["crop_scale"]])
    aspect = torch.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * u[:, SLOTS["crop_log_ratio"]])
    w = torch.round(torch.sqrt(target_area * aspect))
    h = torch.round(torch.sqrt(target_area / aspect))
    ok = (w > 0) & (w <= widths[:, None]) & (h > 0) & (h <= heights[:, None])
    first = ok.to(torch.uint8).argmax(dim=1, keepdim=True)  # the first attempt that fits (0 when none does)
    h, w, found = h.gather(1, first)[:, 0], w.gather(1, first)[:, 0], ok.any(dim=1)
    top = torch.floor(u[:, SLOTS["crop_top"]] * (heights - h + 1))
    left = torch.floor(u[:, SLOTS["crop_left"]] * (widths - w + 1))
    in_ratio = widths / heights
    fb_w = torch.where(in_ratio > ratio[1], torch.round(heights * ratio[1]), widths)
    fb_h = torch.where(in_ratio < ratio[0], torch.round(widths / ratio[0]), heights)
    top = torch.where(found, top, torch.div(heights - fb_h, 2, rounding_mode="floor"))
    left = torch.where(found, left, torch.div(widths - fb_w, 2, rounding_mode="floor"))
    return torch.stack([top, left, torch.where(found, h, fb_h), torch.where(found, w, fb_w)], dim=1).long()


def resized_crop(images: torch.Tensor, boxes: np.ndarray, size: int) -> torch.Tensor:
    """Crop (top, left, height, width) of each float image and resize it to size×size (bilinear at pixel
    centres as torchvision's resize; averaging several samples per output pixel when shrinking)."""
    top, left, height, width = torch.as_tensor(boxes, dtype=images.dtype, device=images.device).unbind(1)
    rois = torch.stack([torch.arange(len(images), device=images.device, dtype=images.dtype),
                        left, top, left + width, top + height], dim=1)
    return roi_align(images, rois, output_size=size, spatial_scale=1.0, sampling_ratio=-1, aligned=True)


def color_jitter(x: torch.Tensor, u: torch.Tensor, strength=(0.4, 0.4, 0.4, 0.1), p=0.8) -> torch.Tensor:
    """torchvision's RandomApply([ColorJitter(b, c, s, h)], p) per sample: factors uniform in [1-b, 1+b] (…),
    hue in [-h, h], the four ops in a random order per sample. `u`: N × 9 uniforms (apply, 4 factors, 4 order
    keys)."""
    brightness, contrast, saturation, hue = strength
    apply = u[:, 0] < p
    lows = torch.tensor([max(0.0, 1 - brightness), max(0.0, 1 - contrast), max(0.0, 1 - saturation), -hue],
                        device=x.device)
    highs = torch.tensor([1 + brightness, 1 + contrast, 1 + saturation, hue], device=x.device)
    factors = lows + (highs - lows) * u[:, 1:5]
    order = u[:, 5:9].argsort(dim=1)  # argsort of iid uniforms: a uniformly random permutation
    ops = [(brightness, adjust_brightness_accumulative), (contrast, adjust_contrast_with_mean_subtraction),
           (saturation, adjust_saturation_with_gray_subtraction),
           (hue, lambda img, f: adjust_hue(img, f * 2 * math.pi))]  # kornia's hue is in radians
    for position in range(4):
        for op_index, (amount, op) in enumerate(ops):
            chosen = apply & (order[:, position] == op_index)
            if amount and chosen.any():  # a zero strength is no op at all, as in torchvision
                x[chosen] = op(x[chosen], factors[chosen, op_index]).clamp(0, 1)
    return x


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(mask[:, None, None, None], a, b)


def color_jitter_dense(x: torch.Tensor, u: torch.Tensor, strength=(0.4, 0.4, 0.4, 0.1), p=0.8) -> torch.Tensor:
    """`color_jitter` without boolean-mask indexing or `.any()`: every op runs on the whole batch and `where`
    keeps it for the samples that drew it at that position. More arithmetic, no device→host read (issue 21)."""
    brightness, contrast, saturation, hue = strength
    apply = u[:, 0] < p
    lows = torch.tensor([max(0.0, 1 - brightness), max(0.0, 1 - contrast), max(0.0, 1 - saturation), -hue],
                        device=x.device)
    highs = torch.tensor([1 + brightness, 1 + contrast, 1 + saturation, hue], device=x.device)
    factors = lows + (highs - lows) * u[:, 1:5]
    order = u[:, 5:9].argsort(dim=1)
    ops = [(brightness, adjust_brightness_accumulative), (contrast, adjust_contrast_with_mean_subtraction),
           (saturation, adjust_saturation_with_gray_subtraction),
           (hue, lambda img, f: adjust_hue(img, f * 2 * math.pi))]
    for position in range(4):
        for op_index, (amount, op) in enumerate(ops):
            if amount:
                chosen = apply & (order[:, position] == op_index)
                x = _where(chosen, op(x, factors[:, op_index]).clamp(0, 1), x)
    return x


PHOTOMETRIC_MODES = ("auto", "masked", "dense")


class BatchedViews:
    """The views a method takes (`crop`, `original`), applied to a batch of uint8 N×3×H×W images.

    Arguments as `pretrain.views.build_view`: `size`, `crop_scale`, `original_mode`, `augment` (colour jitter
    strength and p, grayscale p, blur σ range and p, flip p).
    """

    def __init__(self, views=("crop", "crop"), size=32, crop_scale=(0.2, 1.0), crop_ratio=DEFAULT_RATIO,
                 original_mode="resize", augment=None, generator="numpy", photometric="auto"):
        unknown = [kind for kind in views if kind not in ("crop", "original")]
        if unknown:
            raise ValueError(f"views {unknown}: each view is 'crop' or 'original'")
        if original_mode not in ORIGINAL_MODES:
            raise ValueError(f"views.original_mode={original_mode!r}: choose one of {ORIGINAL_MODES}")
        if generator not in GENERATORS:
            raise ValueError(f"views generator={generator!r}: choose one of {GENERATORS}")
        self.generator = generator
        if photometric not in PHOTOMETRIC_MODES:
            raise ValueError(f"views photometric={photometric!r}: choose one of {PHOTOMETRIC_MODES}")
        # masked: each op on the samples that drew it (boolean indexing: a host read per op); dense: every op on
        # the whole batch, kept by `where` (no host read); auto: dense off the CPU, masked on it (measured faster
        # there: pretrain.bench --views)
        self.photometric_mode = photometric
        self.views, self.size, self.original_mode = tuple(views), size, original_mode
        self.crop_scale, self.crop_ratio = tuple(crop_scale), tuple(crop_ratio)
        self.augment = dict(color_jitter=(0.4, 0.4, 0.4, 0.1), color_jitter_p=0.8, grayscale_p=0.2,
                            blur_sigma=(0.1, 2.0), blur_p=0.5, flip_p=0.5)
        unknown = set(augment or {}) - set(self.augment)
        if unknown:
            raise ValueError(f"augment keys {sorted(unknown)} unknown; expected some of {sorted(self.augment)}")
        self.augment.update(augment or {})

    def slots(self) -> list[range]:
        """The counter slots of each view: crops by crop ordinal, originals after the crops' range."""
        counts, out = {"crop": 0, "original": 0}, []
        for kind in self.views:
            first = (counts[kind] + (ORIGINAL_SLOT_BASE if kind == "original" else 0)) * UNIFORMS_PER_VIEW
            counts[kind] += 1
            out.append(range(first, first + UNIFORMS_PER_VIEW))
        return out

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, seeds, source_sizes=None) -> list[torch.Tensor]:
        """`seeds`: per-sample seeds (`numpy` generator: ints from `pretrain.data.sample_seed`) or per-sample keys
        (`counter`: an int64 tensor from `pretrain.counter_rng.sample_keys`, best on the images' device).
        `source_sizes` (N × 2 heights, widths): the sizes the images had before a loader resized them all to
        one size (`pretrain.data.MultiViewImageFolder(decode_size=…)`). Crops are then drawn in the source's
        coordinates, as on the full image, and mapped onto the stored pixels; the `original` view is the source
        image's, so both keep the source's aspect ratio."""
        if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"BatchedViews takes uint8 N×3×H×W images, got {images.dtype} {tuple(images.shape)}")
        if self.generator == "counter":
            return self._counter_views(images, torch.as_tensor(seeds, dtype=torch.int64).to(images.device),
                                       source_sizes)
        n, _, height, width = images.shape
        uniforms = per_sample_uniforms(seeds, UNIFORMS_PER_VIEW * len(self.views)).reshape(n, len(self.views), -1)
        pixels = images.float() / 255
        to_stored = None
        if source_sizes is not None:
            source = np.asarray(source_sizes, dtype=np.float64).reshape(n, 2)
            to_stored = np.stack([height / source[:, 0], width / source[:, 1]] * 2, axis=1)  # top, left, h, w
        out = []
        for v, kind in enumerate(self.views):
            u = uniforms[:, v]
            if kind == "crop" and to_stored is None:
                boxes = sample_crop_boxes(u, height, width, self.crop_scale, self.crop_ratio)
                view = resized_crop(pixels, boxes, self.size)
            elif kind == "crop":
                boxes = sample_crop_boxes(u, source[:, 0], source[:, 1], self.crop_scale, self.crop_ratio)
                view = resized_crop(pixels, boxes * to_stored, self.size)
            elif to_stored is None or self.original_mode == "resize":
                view = self.original(pixels)  # the whole source at size×size is the whole stored image's
            else:  # shorter side to size, centre crop: the source's central square
                side = source.min(axis=1)
                boxes = np.stack([(source[:, 0] - side) / 2, (source[:, 1] - side) / 2, side, side], axis=1)
                view = resized_crop(pixels, boxes * to_stored, self.size)
            view = self.photometric(view, torch.as_tensor(u, dtype=torch.float32, device=images.device))
            out.append((view * 255).round_().clamp_(0, 255).to(torch.uint8))
        return out

    def _counter_views(self, images: torch.Tensor, keys: torch.Tensor, source_sizes) -> list[torch.Tensor]:
        """The views with the counter generator: uniforms, boxes and pixels stay on the images' device."""
        n, _, height, width = images.shape
        pixels = images.float() / 255
        source = None
        if source_sizes is not None:
            source = torch.as_tensor(source_sizes, dtype=torch.float64).to(images.device).reshape(n, 2)
            to_stored = torch.stack([height / source[:, 0], width / source[:, 1]] * 2, dim=1)
        out = []
        for kind, slots in zip(self.views, self.slots()):
            u = counter_uniforms(keys, slots)
            if kind == "crop":
                sizes = (height, width) if source is None else (source[:, 0], source[:, 1])
                boxes = crop_boxes(u, *sizes, self.crop_scale, self.crop_ratio).double()
                view = resized_crop(pixels, boxes if source is None else boxes * to_stored, self.size)
            elif source is None or self.original_mode == "resize":
                view = self.original(pixels)
            else:
                side = source.min(dim=1).values
                boxes = torch.stack([(source[:, 0] - side) / 2, (source[:, 1] - side) / 2, side, side], dim=1)
                view = resized_crop(pixels, boxes * to_stored, self.size)
            view = self.photometric(view, u.float())
            out.append((view * 255).round_().clamp_(0, 255).to(torch.uint8))
        return out

    def photometric_dense(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """`photometric` with `where` in place of boolean indexing: the same views, no device→host read."""
        a = self.augment
        x = color_jitter_dense(x, u[:, SLOTS["jitter_apply"]:SLOTS["jitter_order"].stop], a["color_jitter"],
                               a["color_jitter_p"])
        x = _where(u[:, SLOTS["gray"]] < a["grayscale_p"], rgb_to_grayscale(x).expand(-1, 3, -1, -1), x)
        if a["blur_p"] > 0:
            low, high = a["blur_sigma"]
            sigma = (low + (high - low) * u[:, SLOTS["blur_sigma"]])[:, None].expand(-1, 2)
            kernel = 2 * math.ceil(3 * high) + 1
            # kernels and separable filter, not gaussian_blur2d: that one checks σ > 0 with a host read
            taps = get_gaussian_kernel1d(kernel, sigma[:, :1])
            blurred = filter2d_separable(x, taps, taps, border_type="reflect")
            x = _where(u[:, SLOTS["blur_apply"]] < a["blur_p"], blurred, x)
        return _where(u[:, SLOTS["flip"]] < a["flip_p"], x.flip(-1), x)

    def original(self, pixels: torch.Tensor) -> torch.Tensor:
        """The whole image at size×size (`resize`), or shorter side to size then centre crop."""
        if self.original_mode == "resize":
            if pixels.shape[-2:] == (self.size, self.size):
                return pixels.clone()
            return TF.resize(pixels, [self.size, self.size], antialias=True)
        return TF.center_crop(TF.resize(pixels, self.size, antialias=True), [self.size, self.size])

    def photometric(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """MoCo-v2 aug+ without its crop, in `pretrain.views.photometric`'s order: jitter, grayscale, blur, flip."""
        mode = self.photometric_mode
        if mode == "dense" or (mode == "auto" and x.device.type != "cpu"):
            return self.photometric_dense(x, u)
        a = self.augment
        x = color_jitter(x, u[:, SLOTS["jitter_apply"]:SLOTS["jitter_order"].stop], a["color_jitter"],
                         a["color_jitter_p"])
        gray = u[:, SLOTS["gray"]] < a["grayscale_p"]
        if gray.any():
            x[gray] = rgb_to_grayscale(x[gray]).expand(-1, 3, -1, -1)
        blur = u[:, SLOTS["blur_apply"]] < a["blur_p"]
        if blur.any():
            low, high = a["blur_sigma"]
            sigma = (low + (high - low) * u[blur, SLOTS["blur_sigma"]])[:, None].expand(-1, 2)
            kernel = 2 * math.ceil(3 * high) + 1  # ±3σ of the widest blur, as PIL's radius-σ blur reaches
            x[blur] = gaussian_blur2d(x[blur], (kernel, kernel), sigma, border_type="reflect")
        flip = u[:, SLOTS["flip"]] < a["flip_p"]
        if flip.any():
            x[flip] = x[flip].flip(-1)
        return x
