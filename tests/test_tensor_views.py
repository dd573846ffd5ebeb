"""Batched tensor views (pretrain/tensor_views.py) against the PIL path (pretrain/views.py): the same crop
geometry and photometric statistics over many draws, torchvision's colour semantics, and per-sample
determinism whatever the batch split."""
import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import functional as TF

from pretrain.counter_rng import sample_keys, uniforms
from pretrain.data import sample_seed
from pretrain.tensor_views import (UNIFORMS_PER_VIEW, BatchedViews, color_jitter, crop_boxes, per_sample_uniforms,
                                   resized_crop, sample_crop_boxes)
from pretrain.views import photometric

DRAWS = 4000


def histogram_l1(a, b, bins):
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=bins)
    pa, _ = np.histogram(a, edges)
    pb, _ = np.histogram(b, edges)
    return np.abs(pa / len(a) - pb / len(b)).sum()


def colourful_image(size=32, seed=0):
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.BILINEAR))


@pytest.mark.parametrize("height,width,scale", [(32, 32, (0.08, 1.0)), (24, 48, (0.2, 1.0))])
def test_crop_scale_and_aspect_match_torchvision(height, width, scale):
    image = Image.new("RGB", (width, height))
    torch.manual_seed(0)
    ref = np.array([T.RandomResizedCrop.get_params(image, scale, (3 / 4, 4 / 3)) for _ in range(DRAWS)])
    ours = sample_crop_boxes(per_sample_uniforms(range(DRAWS), UNIFORMS_PER_VIEW), height, width, scale)
    top, left, h, w = ours.T
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= height).all() and (left + w <= width).all()
    area = lambda b: b[:, 2] * b[:, 3] / (height * width)
    aspect = lambda b: np.log(b[:, 3] / b[:, 2])
    assert histogram_l1(area(ref), area(ours), 10) < 0.1
    assert histogram_l1(aspect(ref), aspect(ours), 10) < 0.1
    assert histogram_l1(ref[:, 0] / height, ours[:, 0] / height, 8) < 0.1


@pytest.mark.parametrize("height,width,scale", [(32, 32, (0.08, 1.0)), (24, 48, (0.2, 1.0)), (40, 10, (0.9, 1.0))])
def test_device_crop_boxes_equal_the_numpy_ones(height, width, scale):
    """The counter generator's crops (tensor ops) and the numpy generator's (the reference, checked against
    torchvision above) are one definition: the same boxes from the same uniforms, fallback included."""
    u = uniforms(sample_keys(0, 0, torch.arange(DRAWS)), range(UNIFORMS_PER_VIEW))
    ours = crop_boxes(u, height, width, scale).numpy()
    ref = sample_crop_boxes(u.numpy(), height, width, scale)
    assert (ours == ref).all(axis=1).mean() > 0.999   # a last-ulp exp/log difference may move a rare box


@pytest.mark.parametrize("generator", ["numpy", "counter"])
def test_photometric_statistics_match_the_pil_path(generator):
    image = colourful_image()
    pil = T.Compose([*photometric(blur_p=0.0), T.PILToTensor()])
    torch.manual_seed(0)
    ref = torch.stack([pil(Image.fromarray(image)) for _ in range(1500)]).float() / 255
    views = BatchedViews(["original"], size=32, augment=dict(blur_p=0.0), generator=generator)
    batch = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].expand(1500, -1, -1, -1).contiguous()
    ours = views(batch, range(1500) if generator == "numpy" else sample_keys(0, 0, torch.arange(1500)))[0]
    ours = ours.float() / 255

    def stats(x):
        saturation = x.max(1).values - x.min(1).values
        return {"mean": x.mean((1, 2, 3)), "contrast": x.std((1, 2, 3)), "saturation": saturation.mean((1, 2)),
                "gray": (saturation.amax((1, 2)) < 0.02).float(),
                "left_darker": (x[..., :16].mean((1, 2, 3)) < x[..., 16:].mean((1, 2, 3))).float()}  # flips

    a, b = stats(ref), stats(ours)
    for name in a:
        # the two yes/no statistics (gray, flipped) compare two binomial fractions of 1,500 draws: 4 standard
        # errors of their difference (0.073 at p = 0.5); the continuous ones a fixed 0.03
        p = a[name].mean()
        tolerance = 4 * (2 * p * (1 - p) / len(ref)) ** 0.5 if name in ("gray", "left_darker") else 0.03
        assert abs(a[name].mean() - b[name].mean()) < tolerance, name
        if name not in ("gray", "left_darker"):
            assert abs(a[name].std() - b[name].std()) < 0.03, name
    assert abs(b["gray"].mean() - 0.2) < 0.04
    for name in ("mean", "contrast", "saturation"):
        assert histogram_l1(a[name].numpy(), b[name].numpy(), 10) < 0.15, name


def test_colour_ops_follow_torchvision_semantics():
    x = torch.from_numpy(colourful_image()).permute(2, 0, 1)[None].float() / 255
    strength = (0.4, 0.4, 0.4, 0.1)
    # apply; factors 0.3, 0.8, 0.9, 0.25 of their ranges; order brightness, contrast, saturation, hue
    u = torch.tensor([[0.0, 0.3, 0.8, 0.9, 0.25, 0.1, 0.2, 0.3, 0.4]])
    ours = color_jitter(x.clone(), u, strength)
    b, c, s, h = 0.6 + 0.8 * 0.3, 0.6 + 0.8 * 0.8, 0.6 + 0.8 * 0.9, -0.1 + 0.2 * 0.25
    ref = TF.adjust_hue(TF.adjust_saturation(TF.adjust_contrast(TF.adjust_brightness(x, b), c), s), h)
    torch.testing.assert_close(ours, ref, atol=2e-3, rtol=0)
    u_reversed = u.clone()
    u_reversed[0, 5:] = torch.tensor([0.4, 0.3, 0.2, 0.1])  # hue, saturation, contrast, brightness
    ref = TF.adjust_brightness(TF.adjust_contrast(TF.adjust_saturation(TF.adjust_hue(x, h), s), c), b)
    torch.testing.assert_close(color_jitter(x.clone(), u_reversed, strength), ref, atol=2e-3, rtol=0)


def test_resized_crop_matches_torchvision():
    x = torch.from_numpy(colourful_image(48)).permute(2, 0, 1)[None].float() / 255
    for top, left, h, w in [(3, 5, 20, 30), (0, 0, 48, 48), (10, 2, 36, 40)]:
        ours = resized_crop(x, np.array([[top, left, h, w]]), 32)
        ref = TF.resized_crop(x, top, left, h, w, [32, 32], antialias=True)
        assert (ours - ref).abs().mean() < 0.01


@pytest.mark.parametrize("generator", ["numpy", "counter"])
def test_views_do_not_depend_on_the_batch_split_or_order(generator):
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 256, (12, 3, 32, 32), dtype=np.uint8))

    def seeds_of(epoch):
        if generator == "counter":
            return sample_keys(0, epoch, torch.arange(100, 112))
        return [sample_seed(0, epoch, index) for index in range(100, 112)]

    seeds = seeds_of(3)
    views = BatchedViews(["original", "crop", "crop"], size=32, crop_scale=(0.08, 1.0),
                         augment=dict(blur_p=0.5, blur_sigma=(0.1, 1.0)), generator=generator)
    whole = views(images, seeds)
    parts = [views(images[:5], seeds[:5]), views(images[5:], seeds[5:])]
    order = torch.randperm(12, generator=torch.Generator().manual_seed(0))
    shuffled = views(images[order], [seeds[i] for i in order] if generator == "numpy" else seeds[order])
    for v in range(3):
        torch.testing.assert_close(torch.cat([parts[0][v], parts[1][v]]), whole[v], atol=1, rtol=0)
        torch.testing.assert_close(shuffled[v], whole[v][order], atol=1, rtol=0)
    assert not torch.equal(whole[1], whole[2])  # two crops of an image differ
    again = views(images, seeds_of(4))
    assert not torch.equal(again[1], whole[1])  # and change with the epoch


def test_paired_runs_cut_the_same_crops():
    """With the counter generator LeOCLR's two crops are MoCo-v2's two crops of the same (seed, epoch, index):
    runs paired by seed differ in the method, not in the crops they were dealt."""
    images = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (16, 3, 32, 32), dtype=np.uint8))
    keys = sample_keys(0, 2, torch.arange(16))
    mocov2 = BatchedViews(["crop", "crop"], size=32, generator="counter")(images, keys)
    leoclr = BatchedViews(["original", "crop", "crop"], size=32, generator="counter")(images, keys)
    assert torch.equal(leoclr[1], mocov2[0]) and torch.equal(leoclr[2], mocov2[1])
    numpy_views = BatchedViews(["original", "crop", "crop"], size=32)(images, [sample_seed(0, 2, i) for i in range(16)])
    assert not torch.equal(numpy_views[1], mocov2[0])   # the first generator laid slots out view after view


def test_original_view_keeps_the_whole_image():
    images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (4, 3, 32, 32), dtype=np.uint8))
    still = dict(color_jitter_p=0.0, grayscale_p=0.0, blur_p=0.0, flip_p=0.0)
    torch.testing.assert_close(BatchedViews(["original"], size=32, augment=still)(images, range(4))[0], images)
    assert BatchedViews(["original"], size=16, augment=still)(images, range(4))[0].shape == (4, 3, 16, 16)
    with pytest.raises(ValueError, match="augment keys"):
        BatchedViews(["crop"], augment=dict(blur=0.5))
