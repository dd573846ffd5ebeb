"""Small image sets held in memory as uint8 (CIFAR-10), with the views made batch-wise on the training device.

A DataLoader batch is one `__getitems__` call: the images are gathered from the array (on `device`: `cpu`, or
`cuda` to keep data and views resident on the GPU) and `pretrain.tensor_views.BatchedViews` makes every view
of the batch at once, each sample's randomness seeded from (seed, epoch, index) only. Pair with
`collate_fn=dict(type='batched_collate')` and, on a GPU, `num_workers=0`.
"""
from __future__ import annotations

import torch
from mmengine.registry import DATASETS, FUNCTIONS
from torch.utils.data import Dataset

from pretrain.counter_rng import sample_keys
from pretrain.data import sample_seed
from pretrain.tensor_views import BatchedViews
from pretrain.datasets.cifar import load_cifar10, select_split

READERS = {"cifar10": (load_cifar10, select_split)}


@FUNCTIONS.register_module()
def batched_collate(batch):
    """The batch is already collated by the dataset's `__getitems__`."""
    return batch


class InMemoryImages(Dataset):
    """One split of a small dataset as a uint8 N×3×H×W tensor on `device`, plus labels.

    `data_root`: where the reader looks (for `cifar10` see `pretrain.datasets.cifar`: the cache, the python pickles, an
    ImageFolder or the JPEG tarball); `download=True` lets it fetch the official copy. `split`: for `cifar10`
    `train`, `test`, or `val` / `train_minus_val` (10 % of each training class held out, for choosing settings
    without the test split: `pretrain.datasets.cifar.select_split`)."""

    def __init__(self, data_root, split="train", reader="cifar10", device="cpu", download=False):
        if reader not in READERS:
            raise ValueError(f"reader={reader!r}: choose one of {sorted(READERS)}")
        load, select = READERS[reader]
        data = select(load(str(data_root), download), split)
        self.device = torch.device(device)
        self.images = torch.tensor(data.images).permute(0, 3, 1, 2).contiguous().to(self.device)  # a copy: the
        # loaded arrays are shared, read-only
        self.labels = torch.from_numpy(data.labels).to(self.device)
        self.metainfo = {"classes": list(data.classes), "root": str(data_root), "split": split,
                         "size": len(self.labels), "source": data.source, "sha256": data.sha256}

    def __len__(self):
        return len(self.labels)

    def _indices(self, keys) -> tuple[torch.Tensor, list[int], list[int]]:
        pairs = [key if isinstance(key, tuple) else (key, 0) for key in keys]
        indices = [int(index) for index, _ in pairs]
        return torch.as_tensor(indices, device=self.device), indices, [int(epoch) for _, epoch in pairs]

    def __getitem__(self, key):
        batch = self.__getitems__([key])
        inputs = batch["inputs"]
        return {"inputs": [v[0] for v in inputs] if isinstance(inputs, list) else inputs[0],
                "data_samples": batch["data_samples"][0]}


@DATASETS.register_module()
class InMemoryMultiView(InMemoryImages):
    """{'inputs': [view, ...], 'data_samples': labels} per batch, the views of `views` (`crop` / `original`);
    `size`, `crop_scale`, `original_mode`, `augment`, `generator`, `photometric` as in `MultiViewImageFolder`. Keys are indices or
    `(index, epoch)` pairs from `EpochSeededSampler` / `SeededInfiniteSampler`."""

    def __init__(self, data_root, split="train", views=("crop", "crop"), size=32, crop_scale=(0.2, 1.0),
                 original_mode="resize", augment=None, seed=0, reader="cifar10", device="cpu", download=False,
                 generator="numpy", photometric="auto"):
        super().__init__(data_root, split, reader, device, download)
        self.seed = seed
        self.make_views = BatchedViews(views, size, crop_scale, original_mode=original_mode, augment=augment,
                                       generator=generator, photometric=photometric)
        self.metainfo["views"] = list(views)

    def __getitems__(self, keys) -> dict:
        index, indices, epochs = self._indices(keys)
        if self.make_views.generator == "counter":  # per-sample keys computed on the images' device
            seeds = sample_keys(self.seed, torch.as_tensor(epochs, device=index.device), index)
        else:
            seeds = [sample_seed(self.seed, epoch, i) for i, epoch in zip(indices, epochs)]
        return {"inputs": self.make_views(self.images[index], seeds), "data_samples": self.labels[index]}


@DATASETS.register_module()
class InMemoryEval(InMemoryImages):
    """Deterministic single view per batch (kNN bank and queries): the image itself, or resized to `size`."""

    def __init__(self, data_root, split="test", size=None, reader="cifar10", device="cpu", download=False):
        super().__init__(data_root, split, reader, device, download)
        self.size = size

    def __getitems__(self, keys) -> dict:
        index, _, _ = self._indices(keys)
        images = self.images[index]
        if self.size and images.shape[-2:] != (self.size, self.size):
            images = BatchedViews(("original",), self.size).original(images.float() / 255)
            images = (images * 255).round_().clamp_(0, 255).to(torch.uint8)
        return {"inputs": images, "data_samples": self.labels[index]}
