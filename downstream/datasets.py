"""Labelled datasets for the classification protocols (linear, semi-supervised, transfer, kNN).

Each returns ``{"inputs": uint8 CHW tensor, "data_samples": label}``; normalisation happens on the device
(`downstream.classifier.ClsDataPreprocessor`). Keys may be ``(index, epoch)`` pairs from
`ClsEpochSampler`: a sample's augmentation randomness is drawn from (seed, epoch, index) only, so it depends
neither on the number of loader workers nor on restarts.

On-disk layouts (under ``--data-root R``; a config's ``data_root='data/<name>'`` becomes ``R/<name>``):

* ImageFolder (ImageNet, the generated scenes, Flowers-102, Pets, Cars, Aircraft, DTD, Caltech-101,
  Food-101): ``<name>/<split>/<class>/<image>``, e.g. ``imagenet/train/n01440764/n01440764_10026.JPEG``,
  ``flowers102/{train,test}/<class>/*.jpg``. Semi-supervised subsets are file lists (one entry a line):
  SimCLR's ``1percent.txt`` / ``10percent.txt`` (``n01440764_10026.JPEG`` -> ``train/n01440764/...``,
  the class is the part before the first ``_``) or ``<class>/<file>`` lines (what `downstream.subsets`
  writes).
* CIFAR: the python pickles as distributed, ``cifar-10-batches-py/{data_batch_1..5,test_batch}`` and
  ``cifar-100-python/{train,test}`` (fine labels).
* STL-10: the binary release, ``stl10_binary/{train,test}_{X,y}.bin``.

A missing root/split/file is an error at start-up that names the path it looked for and the layout it
expects (a silently smaller dataset would be a different experiment).
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
from torchvision import transforms as T

from pretrain.datasets.cifar import SafeUnpickler, load_cifar10, select_split
from pretrain.datasets.folders import IMAGE_EXTENSIONS, DatasetNotFound, scan_image_folder
from pretrain.datasets.splits import stratified_subset

__all__ = ["IMAGE_EXTENSIONS", "DatasetNotFound", "build_pipeline", "scan_image_folder", "stratified_subset",
           "read_subset_file", "ClsImageFolder", "CifarDataset", "STL10Dataset", "FeatureDataset", "collate_batched",
           "ClsEpochSampler"]


# ----------------------------------------------------------------------------------------------- pipelines
def build_pipeline(kind: str = "eval", size: int = 224, resize: int | None = None,
                   scale=(0.08, 1.0), flip: bool = True, interpolation: str = "bilinear"):
    """``train``: RandomResizedCrop(size, scale) + horizontal flip (the MoCo linear / fine-tune recipe).
    ``eval``: shorter side to ``resize`` then centre crop ``size`` (ImageNet 256 -> 224), or, with
    ``resize=None``, the whole image resized to size x size (small native-resolution images).
    ``interpolation``: of every resize, ``bilinear`` (torchvision's default, MoCo) or ``bicubic`` (Kornblith et
    al. 2019 / SimCLR transfer features). Both end in a uint8 CHW tensor."""
    mode = T.InterpolationMode(interpolation)
    if kind == "train":
        steps = [T.RandomResizedCrop(size, scale=tuple(scale), interpolation=mode)]
        if flip:
            steps.append(T.RandomHorizontalFlip())
    elif kind == "eval":
        steps = ([T.Resize(resize, interpolation=mode), T.CenterCrop(size)] if resize
                 else [T.Resize((size, size), interpolation=mode)])
    else:
        raise ValueError(f"pipeline kind {kind!r}: expected 'train' or 'eval'")
    return T.Compose([*steps, T.PILToTensor()])


def _sample_seed(seed: int, epoch: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1, dtype=np.uint64)[0] >> 1)


class _LabelledImages(Dataset):
    """Shared part: the pipeline, seeded per-sample randomness and ``metainfo``."""

    def __init__(self, pipeline: dict | None, seed: int):
        self.pipeline_cfg = dict(pipeline or {})
        self.transform = build_pipeline(**self.pipeline_cfg)
        #: the same image always gives the same tensor (what a feature cache needs)
        self.deterministic = self.pipeline_cfg.get("kind", "eval") == "eval"
        self.seed = seed
        self.classes: list[str] = []
        self.labels: list[int] = []

    def image(self, index: int) -> Image.Image:
        raise NotImplementedError

    def __getitem__(self, key):
        index, epoch = key if isinstance(key, tuple) else (key, 0)
        image = self.image(index)
        if self.deterministic:
            tensor = self.transform(image)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(_sample_seed(self.seed, epoch, index))
                tensor = self.transform(image)
        return {"inputs": tensor, "data_samples": self.labels[index]}

    def __len__(self):
        return len(self.labels)

    @property
    def metainfo(self) -> dict:
        return {"classes": list(self.classes), "num_classes": len(self.classes), "size": len(self)}


# ----------------------------------------------------------------------------------------------- ImageFolder
def read_subset_file(path: str | os.PathLike, root: str | os.PathLike, split: str,
                     classes: list[str]) -> list[tuple[str, int]]:
    """Resolve a subset list: ``<class>/<file>`` lines, or SimCLR's bare ``<wnid>_<n>.JPEG`` lines (class =
    the part before the first ``_``). Every listed file must exist."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFound(f"subset list not found: {path} (one file name a line, SimCLR format "
                              f"'n01440764_10026.JPEG' or '<class>/<file>'; make one with python -m "
                              f"downstream.subsets)")
    index = {name: i for i, name in enumerate(classes)}
    samples, missing = [], []
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if "/" in entry:
            cls = entry.split("/", 1)[0]
            rel = entry
        else:
            cls = entry.split("_", 1)[0]
            rel = f"{cls}/{entry}"
        if cls not in index:
            raise DatasetNotFound(f"{path}:{line_no}: class {cls!r} of {entry!r} is not a folder of "
                                  f"{Path(root) / split}")
        full = Path(root) / split / rel
        if not full.is_file():
            missing.append(str(full))
        samples.append((str(full), index[cls]))
    if missing:
        raise DatasetNotFound(f"{path}: {len(missing)} listed files are absent, e.g. {missing[:3]}")
    if not samples:
        raise DatasetNotFound(f"{path}: empty subset list")
    return samples


def _load_rgb(path: str) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise RuntimeError(f"unreadable image {path}: {err}; fix or delete it and resume the run") from err


@DATASETS.register_module()
class ClsImageFolder(_LabelledImages):
    """ImageFolder split, optionally restricted to a labelled subset: ``subset_file`` (relative paths are
    resolved against ``data_root``) or ``subset_percent`` (+ ``subset_seed``; the same list as
    ``python -m downstream.subsets --percent P --seed S``). ``max_samples``: evenly spaced samples (the
    pretraining kNN monitor's rule), e.g. a smaller kNN bank."""

    def __init__(self, data_root, split="train", pipeline=None, subset_file=None, subset_percent=None,
                 subset_seed=0, max_samples=None, seed=0):
        super().__init__(pipeline, seed)
        self.data_root, self.split = str(data_root), split
        self.classes, samples = scan_image_folder(data_root, split)
        self.subset_source = None
        if subset_file is not None and subset_percent is not None:
            raise ValueError("give subset_file or subset_percent, not both")
        if subset_file is not None:
            subset_path = Path(subset_file)
            if not subset_path.is_absolute():
                subset_path = Path(data_root) / subset_path
            samples = read_subset_file(subset_path, data_root, split, self.classes)
            self.subset_source = str(subset_path)
        elif subset_percent is not None:
            samples = stratified_subset(samples, subset_percent, subset_seed)
            self.subset_source = f"{subset_percent}% stratified, seed {subset_seed}"
        if max_samples and max_samples < len(samples):  # evenly spaced: class-balanced for sorted folders
            picks = np.linspace(0, len(samples) - 1, int(max_samples)).round().astype(int)
            samples = [samples[i] for i in picks]
        self.samples = samples
        self.labels = [label for _, label in samples]

    def image(self, index):
        return _load_rgb(self.samples[index][0])

    def subset_lines(self) -> list[str]:
        """The selected files as ``<class>/<file>`` lines (what the record hashes)."""
        return [os.path.relpath(p, Path(self.data_root) / self.split).replace(os.sep, "/") for p, _ in self.samples]

    @property
    def metainfo(self):
        return {**super().metainfo, "root": self.data_root, "split": self.split, "subset": self.subset_source}


# ----------------------------------------------------------------------------------------------- CIFAR / STL
_SafeUnpickler = SafeUnpickler  # the allow-list unpickler lives in pretrain.datasets.cifar, shared with pretraining


CIFAR_FILES = {
    "cifar10": ("cifar-10-batches-py", {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
                b"labels", "batches.meta", b"label_names"),
    "cifar100": ("cifar-100-python", {"train": ["train"], "test": ["test"]}, b"fine_labels", "meta",
                 b"fine_label_names"),
}


@DATASETS.register_module()
class CifarDataset(_LabelledImages):
    """CIFAR-10 / CIFAR-100. CIFAR-10 through `pretrain.datasets.cifar.load_cifar10` (its cache, the python pickles, an
    ImageFolder or the JPEG tarball, in ``data_root`` or its parent); CIFAR-100 from the python pickles
    (``data_root`` = the extracted folder, e.g. ``data/cifar-100-python``). ``split``: ``train`` (50,000) or
    ``test`` (10,000); for CIFAR-10 also ``val`` (5,000) and ``train_minus_val`` (45,000), 10 % of each training
    class held out (`pretrain.datasets.cifar.select_split`)."""

    def __init__(self, data_root, split="train", variant="cifar10", pipeline=None, seed=0):
        super().__init__(pipeline, seed)
        if variant not in CIFAR_FILES:
            raise ValueError(f"variant {variant!r}: expected one of {sorted(CIFAR_FILES)}")
        folder, splits, label_key, meta_file, names_key = CIFAR_FILES[variant]
        if split not in splits and variant != "cifar10":
            raise ValueError(f"{variant} split {split!r}: expected 'train' or 'test'")
        root = Path(data_root)
        self.data_root, self.split = str(root), split
        if variant == "cifar10":  # every copy pretrain.datasets.cifar reads (cache, pickles, ImageFolder, tarball);
            try:                  # also its val / train_minus_val splits (pretrain.datasets.cifar.select_split)
                arrays = select_split(load_cifar10(root), split)
            except FileNotFoundError as err:
                raise DatasetNotFound(str(err)) from err
            self.array, self.labels, self.classes = arrays.images, arrays.labels.tolist(), list(arrays.classes)
            return
        paths = [root / name for name in splits[split]]
        absent = [str(p) for p in paths if not p.is_file()]
        if absent:
            raise DatasetNotFound(f"{variant} not found: looked for {', '.join(absent)}; expected the python "
                                  f"version of the dataset extracted as <data-root>/{folder}/ "
                                  f"({', '.join(splits['train'] + splits['test'])})")
        images, labels = [], []
        for p in paths:
            with open(p, "rb") as handle:
                batch = _SafeUnpickler(handle, encoding="bytes").load()
            images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            labels.extend(int(v) for v in batch[label_key])
        self.array = np.ascontiguousarray(np.concatenate(images).transpose(0, 2, 3, 1))  # N, H, W, C
        self.labels = labels
        n_classes = 10 if variant == "cifar10" else 100
        meta = root / meta_file
        if meta.is_file():
            with open(meta, "rb") as handle:
                self.classes = [n.decode() for n in _SafeUnpickler(handle, encoding="bytes").load()[names_key]]
        else:
            self.classes = [str(i) for i in range(n_classes)]
        self.data_root, self.split = str(root), split

    def image(self, index):
        return Image.fromarray(self.array[index])


@DATASETS.register_module()
class STL10Dataset(_LabelledImages):
    """STL-10 labelled splits from the binary release (``data_root`` = ``data/stl10_binary``): ``train``
    (5,000) or ``test`` (8,000), 96 x 96 px, labels 1..10 stored, 0..9 returned."""

    CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]

    def __init__(self, data_root, split="train", pipeline=None, seed=0):
        super().__init__(pipeline, seed)
        if split not in ("train", "test"):
            raise ValueError(f"STL-10 labelled split {split!r}: expected 'train' or 'test'")
        root = Path(data_root)
        x_path, y_path = root / f"{split}_X.bin", root / f"{split}_y.bin"
        absent = [str(p) for p in (x_path, y_path) if not p.is_file()]
        if absent:
            raise DatasetNotFound(f"STL-10 not found: looked for {', '.join(absent)}; expected the binary "
                                  f"release extracted as <data-root>/stl10_binary/ ({{train,test}}_{{X,y}}.bin)")
        raw = np.fromfile(x_path, dtype=np.uint8)
        # stored column-major per image: (N, C, W, H) -> (N, H, W, C)
        self.array = np.ascontiguousarray(raw.reshape(-1, 3, 96, 96).transpose(0, 3, 2, 1))
        self.labels = [int(v) - 1 for v in np.fromfile(y_path, dtype=np.uint8)]
        if len(self.labels) != len(self.array):
            raise DatasetNotFound(f"{x_path} holds {len(self.array)} images but {y_path} {len(self.labels)} labels")
        self.classes = list(self.CLASSES)
        self.data_root, self.split = str(root), split

    def image(self, index):
        return Image.fromarray(self.array[index])


# ----------------------------------------------------------------------------------------------- helpers
class FeatureDataset(Dataset):
    """Pre-extracted features of a frozen backbone (see `FrozenBackboneHook(feature_cache=True)`)."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor, metainfo: dict | None = None):
        self.features, self.labels = features, labels
        self.metainfo = dict(metainfo or {}, cached_features=True)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, key):
        index = key[0] if isinstance(key, tuple) else key
        return {"inputs": self.features[index], "data_samples": int(self.labels[index])}

    def __getitems__(self, keys):
        """A whole batch by one tensor index (DataLoader's batched fetch); pair with `collate_batched`."""
        index = torch.tensor([k[0] if isinstance(k, tuple) else k for k in keys], dtype=torch.long)
        return {"inputs": self.features[index], "data_samples": self.labels[index]}


def collate_batched(batch):
    """Collate for datasets whose ``__getitems__`` already returns the batch."""
    return batch


@DATA_SAMPLERS.register_module()
class ClsEpochSampler(DefaultSampler):
    """mmengine's DefaultSampler (seeded shuffle per epoch, rank-sharded) yielding ``(index, epoch)`` so each
    sample's augmentation is seeded from (seed, epoch, index) without worker state."""

    def __iter__(self):
        return ((index, self.epoch) for index in super().__iter__())
