"""ImageFolder-layout datasets (ImageNet `train/<class>/*.JPEG`, the generated scenes) for pretraining and kNN.

Bad data policy (documented in REPRODUCE.md): a missing root or split, a split without class folders, or an
empty class folder is an error at start-up naming the path; an unreadable/corrupt image is an error naming the
file when it is first read (fail fast: a silently shrunken dataset is a different experiment). The run can be
resumed from its last checkpoint after the file is fixed or removed.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS, DATASETS
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from pretrain.views import build_view

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
LAYOUT_HINT = "expected ImageFolder layout: <root>/<split>/<class_name>/<image files> (e.g. imagenet/train/n01440764/*.JPEG)"


def scan_image_folder(root: str | os.PathLike, split: str) -> tuple[list[str], list[tuple[str, int]]]:
    split_dir = Path(root) / split
    if not split_dir.is_dir():
        raise FileNotFoundError(f"dataset split not found: {split_dir} ({LAYOUT_HINT}); "
                                f"set --data-root or the config's data_root")
    classes = sorted(entry.name for entry in os.scandir(split_dir) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"no class folders in {split_dir} ({LAYOUT_HINT})")
    samples = []
    for label, name in enumerate(classes):
        files = sorted(entry.name for entry in os.scandir(split_dir / name)
                       if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise FileNotFoundError(f"empty class folder: {split_dir / name} has no images "
                                    f"({', '.join(IMAGE_EXTENSIONS)}); remove it or add its images")
        samples.extend((str(split_dir / name / file), label) for file in files)
    return classes, samples


def subsample(samples: list, max_samples: int | None, seed: int = 0) -> list:
    """A deterministic, class-stratified-by-order subset (every n-th sample) so small banks stay balanced."""
    if not max_samples or max_samples >= len(samples):
        return samples
    picks = np.linspace(0, len(samples) - 1, max_samples).round().astype(int)
    return [samples[i] for i in picks]


def load_rgb(path: str) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise RuntimeError(f"unreadable image {path}: {err}; fix or delete it and resume the run") from err


def sample_seed(seed: int, epoch: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1, dtype=np.uint64)[0] >> 1)


@DATASETS.register_module()
class MultiViewImageFolder(Dataset):
    """Returns {'inputs': [view, ...], 'data_samples': label} with the views the method needs.

    `views` names each view (`crop` or `original`); `size`, `crop_scale`, `original_mode`, `augment` configure
    them (see `pretrain.views.build_view`). Keys may be `(index, epoch)` pairs from `EpochSeededSampler`; the
    augmentation randomness is drawn from (seed, epoch, index) only.
    """

    def __init__(self, data_root, split="train", views=("crop", "crop"), size=224, crop_scale=(0.2, 1.0),
                 original_mode="resize", augment=None, seed=0, max_samples=None):
        self.classes, samples = scan_image_folder(data_root, split)
        self.samples = subsample(samples, max_samples)
        self.seed = seed
        self.view_names = tuple(views)
        self.transforms = [build_view(kind, size, crop_scale, original_mode, augment=augment) for kind in views]
        self.metainfo = {"classes": self.classes, "views": self.view_names, "root": str(data_root), "split": split,
                         "size": len(self.samples)}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, key):
        index, epoch = key if isinstance(key, tuple) else (key, 0)
        path, label = self.samples[index]
        image = load_rgb(path)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(sample_seed(self.seed, epoch, index))
            views = [transform(image) for transform in self.transforms]
        return {"inputs": views, "data_samples": label}


@DATASETS.register_module()
class EvalImageFolder(Dataset):
    """Deterministic single view + label (kNN bank / query sets and evaluation)."""

    def __init__(self, data_root, split="val", size=224, eval_resize=None, max_samples=None):
        self.classes, samples = scan_image_folder(data_root, split)
        self.samples = subsample(samples, max_samples)
        self.transform = build_view("eval", size, eval_resize=eval_resize)
        self.metainfo = {"classes": self.classes, "root": str(data_root), "split": split}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        return {"inputs": self.transform(load_rgb(path)), "data_samples": label}


@DATA_SAMPLERS.register_module()
class EpochSeededSampler(DefaultSampler):
    """mmengine's DefaultSampler (seeded shuffle per epoch, rank-sharded) yielding `(index, epoch)` keys,
    so the dataset can seed each sample's augmentation from the epoch without any worker state."""

    def __iter__(self):
        return ((index, self.epoch) for index in super().__iter__())


@DATA_SAMPLERS.register_module()
class SeededInfiniteSampler(EpochSeededSampler):
    """Endless `(index, epoch)` stream for iteration-based training: epoch after epoch of seeded shuffles,
    without restarting loader workers. `skip(n)` starts the stream n samples in (fast resume: no data is
    loaded for the skipped steps, unlike mmengine's default of fetching and discarding them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._skip = 0

    def skip(self, n_samples: int) -> None:
        self._skip = n_samples

    def set_epoch(self, epoch: int) -> None:  # epochs advance inside the stream
        pass

    def __iter__(self):
        epoch, offset = divmod(self._skip, self.num_samples)
        while True:
            self.epoch = epoch
            indices = list(DefaultSampler.__iter__(self))
            for index in indices[offset:]:
                yield index, epoch
            epoch, offset = epoch + 1, 0
