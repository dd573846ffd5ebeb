"""ImageFolder-layout datasets (ImageNet `train/<class>/*.JPEG`, the generated scenes) for pretraining and kNN.

Two loaders for pretraining, chosen in the config (`MultiViewImageFolder(decode_size=…)`):
- PIL (default, `decode_size=None`): loader workers decode each image and make its views (`pretrain.views`).
- Device views (`decode_size=S`): workers only decode and resize each image to S×S uint8 (JPEGs are decoded at a
  reduced scale where libjpeg can, `Image.draft`); `device_views_collate` stacks them, and the model's
  `DeviceViewsPreprocessor` makes the views batch-wise on the training device with `pretrain.tensor_views`
  (the batched views of the in-memory CIFAR path), each sample seeded from (seed, epoch, index) as before.
  Select it with `dataset.decode_size`, `collate_fn=dict(type='device_views_collate')` and
  `model.data_preprocessor.type='DeviceViewsPreprocessor'` (a missing piece is an error naming it). Training on
  the CPU, `collate_fn=dict(type='device_views_collate', views_in_workers=True)` has the workers make the views,
  beside the step rather than after it.
  NVIDIA DALI (GPU JPEG decoding) would be the next step where CPU decoding cannot keep up; it is not used.

Bad data policy (documented in REPRODUCE.md): a missing root or split, a split without class folders, or an
empty class folder is an error at start-up naming the path; an unreadable/corrupt image is an error naming the
file when it is first read (fail fast: a silently shrunken dataset is a different experiment). The run can be
resumed from its last checkpoint after the file is fixed or removed.
"""
from __future__ import annotations


import numpy as np
import torch
from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS, DATASETS, FUNCTIONS, MODELS
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from pretrain.contrast import MultiViewPreprocessor
from pretrain.datasets.folders import scan_image_folder
from pretrain.counter_rng import sample_key
from pretrain.tensor_views import BatchedViews
from pretrain.views import build_view


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


def load_rgb_resized(path: str, size: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """The image at size×size as a uint8 3×size×size tensor, and its own (height, width). A JPEG is decoded at
    the smallest of libjpeg's 1/1…1/8 scales that stays at least size×size (`draft`), which is most of the speed."""
    try:
        with Image.open(path) as image:
            source = (image.height, image.width)
            image.draft("RGB", (size, size))
            image = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise RuntimeError(f"unreadable image {path}: {err}; fix or delete it and resume the run") from err
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous(), source


def sample_seed(seed: int, epoch: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1, dtype=np.uint64)[0] >> 1)


@DATASETS.register_module()
class MultiViewImageFolder(Dataset):
    """Returns {'inputs': [view, ...], 'data_samples': label} with the views the method needs.

    `views` names each view (`crop` or `original`); `size`, `crop_scale`, `original_mode`, `augment` configure
    them (see `pretrain.views.build_view`). Keys may be `(index, epoch)` pairs from `EpochSeededSampler`; the
    augmentation randomness is drawn from (seed, epoch, index) only.

    `decode_size=S`: the device-views loader (module docstring). A sample is then the image at S×S, its seed
    and source size, and the view settings (plain data) that `DeviceViewsPreprocessor` makes the views from;
    `generator` picks how their uniforms are drawn (`pretrain.tensor_views`: `numpy`, the first, or `counter`),
    `photometric` how the colour ops are applied (`masked`, `dense` without host reads, `auto`).
    """

    def __init__(self, data_root, split="train", views=("crop", "crop"), size=224, crop_scale=(0.2, 1.0),
                 original_mode="resize", augment=None, seed=0, max_samples=None, decode_size=None,
                 generator="numpy", photometric="auto"):
        if decode_size is not None and decode_size < size:
            raise ValueError(f"dataset.decode_size={decode_size} is below the view size {size}: the views would be "
                             f"upsampled; use decode_size ≥ size (ImageNet: 256 for 224 px views)")
        self.classes, samples = scan_image_folder(data_root, split)
        self.samples = subsample(samples, max_samples)
        self.seed = seed
        self.view_names = tuple(views)
        self.decode_size = decode_size
        if decode_size is None:
            self.transforms = [build_view(kind, size, crop_scale, original_mode, augment=augment) for kind in views]
        else:
            self.device_views = dict(views=list(views), size=size, crop_scale=list(crop_scale),
                                     original_mode=original_mode, augment=dict(augment or {}), generator=generator,
                                     photometric=photometric)
            BatchedViews(**self.device_views)  # bad view settings fail here, at start-up
        self.metainfo = {"classes": self.classes, "views": self.view_names, "root": str(data_root), "split": split,
                         "size": len(self.samples), "views_on": "loader" if decode_size is None else "device"}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, key):
        index, epoch = key if isinstance(key, tuple) else (key, 0)
        path, label = self.samples[index]
        if self.decode_size is not None:
            image, source_size = load_rgb_resized(path, self.decode_size)
            seed = (sample_key(self.seed, epoch, index) if self.device_views["generator"] == "counter"
                    else sample_seed(self.seed, epoch, index))
            return {"inputs": image, "data_samples": label, "seed": seed,
                    "source_size": source_size, "views": self.device_views}
        image = load_rgb(path)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(sample_seed(self.seed, epoch, index))
            views = [transform(image) for transform in self.transforms]
        return {"inputs": views, "data_samples": label}


@FUNCTIONS.register_module()
def device_views_collate(samples: list[dict], views_in_workers: bool = False) -> dict:
    """Stacks `MultiViewImageFolder(decode_size=…)` samples; the views are made later, on the training device.

    `views_in_workers=True` is for training on the CPU: the loader workers then make the batched views too, so
    they run beside the training process's step instead of after it (on a GPU leave it off: the GPU makes them
    far faster than CPU workers). The views are the same either way."""
    if "seed" not in samples[0]:
        raise ValueError("collate_fn=device_views_collate needs train_dataloader.dataset.decode_size (the "
                         "device-views loader); with the PIL loader use collate_fn=dict(type='default_collate')")
    batch = {"inputs": {"images": torch.stack([s["inputs"] for s in samples]),
                        "seeds": torch.tensor([s["seed"] for s in samples], dtype=torch.int64),
                        "source_sizes": torch.tensor([s["source_size"] for s in samples], dtype=torch.int64),
                        "views": samples[0]["views"]},
             "data_samples": torch.tensor([s["data_samples"] for s in samples])}
    if views_in_workers:
        batch["inputs"] = make_device_views(batch["inputs"])
    return batch


def make_device_views(inputs: dict, make_views: BatchedViews | None = None) -> list[torch.Tensor]:
    """The views of a `device_views_collate` batch, on the device its images are on."""
    make_views = make_views or BatchedViews(**inputs["views"])
    if make_views.generator == "counter":  # keys and sizes go to the device; nothing comes back to the host
        return make_views(inputs["images"], inputs["seeds"], source_sizes=inputs["source_sizes"])
    return make_views(inputs["images"], inputs["seeds"].tolist(), source_sizes=inputs["source_sizes"].numpy())


@MODELS.register_module()
class DeviceViewsPreprocessor(MultiViewPreprocessor):
    """MultiViewPreprocessor that first makes the views of a `device_views_collate` batch on the model's device
    (`pretrain.tensor_views.BatchedViews`); batches that already hold views (kNN, the PIL loader) pass through."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._make_views = None, None

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data["inputs"]
        if isinstance(inputs, dict):
            if inputs["views"] != self._settings:
                self._settings, self._make_views = inputs["views"], BatchedViews(**inputs["views"])
            views = make_device_views(dict(inputs, images=self.cast_data(inputs["images"])), self._make_views)
            data = {"inputs": views, "data_samples": data.get("data_samples")}
        return super().forward(data, training)


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


def check_loader_config(cfg) -> None:
    """The device-views loader takes three settings together (module docstring); a missing one is named here,
    at start-up, rather than surfacing as a shape error inside the model."""
    loader = cfg.train_dataloader
    decode_size = loader.dataset.get("decode_size")
    if decode_size is None:
        return
    collate = (loader.get("collate_fn") or {}).get("type")
    preprocessor = (cfg.model.get("data_preprocessor") or {}).get("type")
    missing = [setting for setting, ok in (
        ("train_dataloader.collate_fn=dict(type='device_views_collate')", collate == "device_views_collate"),
        ("model.data_preprocessor.type='DeviceViewsPreprocessor'", preprocessor == "DeviceViewsPreprocessor"))
        if not ok]
    if missing:
        raise ValueError(f"{cfg.get('config_path', 'config')}: train_dataloader.dataset.decode_size={decode_size} "
                         f"(views made on the training device) also needs {' and '.join(missing)}")
