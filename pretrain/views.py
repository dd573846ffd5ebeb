"""Views: MoCo-v2 "aug+" random crops and LeOCLR's original (uncropped) view.

Every view ends in a uint8 CHW tensor; normalisation happens on the device in `MultiViewPreprocessor`.
All randomness comes from torch's global generator, which `MultiViewImageFolder` seeds per sample from
(seed, epoch, index), so views depend neither on the number of workers nor on restarts.
"""
from __future__ import annotations

import torch
from PIL import ImageFilter
from torchvision import transforms as T

ORIGINAL_MODES = ("resize", "resize_center_crop")


class RandomGaussianBlur:
    """PIL Gaussian blur with σ drawn uniformly from `sigma` (MoCo-v2's blur), using torch's generator."""

    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = tuple(sigma)

    def __call__(self, image):
        sigma = float(torch.empty(1).uniform_(*self.sigma))
        return image.filter(ImageFilter.GaussianBlur(radius=sigma))

    def __repr__(self):
        return f"{type(self).__name__}(sigma={self.sigma})"


def photometric(color_jitter=(0.4, 0.4, 0.4, 0.1), color_jitter_p=0.8, grayscale_p=0.2,
                blur_sigma=(0.1, 2.0), blur_p=0.5, flip_p=0.5) -> list:
    """MoCo-v2 aug+ without its crop: colour jitter, grayscale, blur, horizontal flip."""
    return [T.RandomApply([T.ColorJitter(*color_jitter)], p=color_jitter_p),
            T.RandomGrayscale(p=grayscale_p),
            T.RandomApply([RandomGaussianBlur(blur_sigma)], p=blur_p),
            T.RandomHorizontalFlip(p=flip_p)]


def build_view(kind: str, size: int, crop_scale=(0.2, 1.0), original_mode="resize", eval_resize=None,
               augment: dict | None = None):
    """`crop`: RandomResizedCrop + photometric (MoCo-v2 aug+). `original`: the whole image at size×size
    (`resize`, nothing cut away; or `resize_center_crop`) + photometric: the paper augments all three views.
    `eval`: no randomness; shorter side to `eval_resize` then centre crop (ImageNet: 256 → 224), or, without
    `eval_resize`, the whole image at size×size (small generated images)."""
    augment = augment or {}
    if kind == "crop":
        steps = [T.RandomResizedCrop(size, scale=tuple(crop_scale)), *photometric(**augment)]
    elif kind == "original":
        if original_mode not in ORIGINAL_MODES:
            raise ValueError(f"views.original_mode={original_mode!r}: choose one of {ORIGINAL_MODES}")
        resize = [T.Resize((size, size))] if original_mode == "resize" else [T.Resize(size), T.CenterCrop(size)]
        steps = [*resize, *photometric(**augment)]
    elif kind == "eval":
        steps = [T.Resize(eval_resize), T.CenterCrop(size)] if eval_resize else [T.Resize((size, size))]
    else:
        raise ValueError(f"unknown view kind {kind!r}: expected 'crop', 'original' or 'eval'")
    return T.Compose([*steps, T.PILToTensor()])
