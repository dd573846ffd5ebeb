"""CIFAR-10 as uint8 arrays in memory, from whichever copy is at hand, decoded once and cached.

Shared by pretraining (`pretrain.datasets.in_memory`) and downstream (`downstream.datasets` reads the python
pickles with `SafeUnpickler`); imports numpy, PIL and the standard library only.

Sources, looked for in `root` and then in its parent (so `--data-root ../shared/data` finds the tarball that sits
beside the `cifar10` folder name), first match wins:

1. `cifar10-uint8.npz`: our cache (train/test images N×32×32×3 uint8, labels, class names, source, sha256).
2. `cifar-10-batches-py/`: the official python pickles, as torchvision downloads them.
3. An ImageFolder `{train,test}/<class>/<image>` at `cifar10-jpeg/` or at the folder itself (classes in sorted
   order, which for CIFAR-10's names is its label order).
4. `cifar10-jpeg.tar.gz`: that ImageFolder packed (this project's JPEG copy, `shared/data/README.md`), read
   without extracting.
5. With `download=True`: torchvision's download into `root/cifar-10-batches-py/`.

After decoding a source other than the cache, the cache is written to `root` (created if absent); a read-only
root only costs a re-decode per process (~20 s), with a warning.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import tarfile
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SPLITS = ("train", "test")
#: what `select_split` gives: the two splits of CIFAR-10, and the suite's val rule applied to train (for choosing
#: settings without touching the test split)
SELECTABLE_SPLITS = ("train", "test", "val", "train_minus_val")
VAL_PERCENT, VAL_SEED = 10, 0  # contracts.md section 5.1: the prepared val splits' rule
SPLIT_SIZES = {"train": 50000, "test": 10000}
CACHE_NAME = "cifar10-uint8.npz"
PICKLE_FOLDER = "cifar-10-batches-py"
PICKLE_FILES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
IMAGEFOLDER_NAME = "cifar10-jpeg"
TARBALL_NAME = "cifar10-jpeg.tar.gz"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".webp")


class SafeUnpickler(pickle.Unpickler):
    """Reads the CIFAR pickles (dicts of lists, bytes and numpy arrays) and refuses any other object."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"),
               ("_codecs", "encode")}  # how protocol-2 pickles written by Python 3 store bytes

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} from a dataset file")


def safe_unpickle(path: str | os.PathLike) -> dict:
    with open(path, "rb") as handle:
        return SafeUnpickler(handle, encoding="bytes").load()


@dataclass(frozen=True)
class ImageArrays:
    """One split: `images` N×H×W×3 uint8, `labels` N int64, class names, where it came from, content hash."""
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    source: str
    sha256: str


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(images).data)
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).data)
    return digest.hexdigest()


# ---- readers, one per on-disk format: each returns {split: (images, labels)}, class names -------------------
def read_pickles(folder: Path) -> tuple[dict, tuple[str, ...]]:
    absent = [str(folder / name) for split in SPLITS for name in PICKLE_FILES[split] if not (folder / name).is_file()]
    if absent:
        raise FileNotFoundError(f"incomplete {folder}: missing {', '.join(absent)}")
    arrays = {}
    for split in SPLITS:
        images, labels = [], []
        for name in PICKLE_FILES[split]:
            batch = safe_unpickle(folder / name)
            if b"data" not in batch or b"labels" not in batch:
                raise ValueError(f"{folder / name}: not a CIFAR-10 batch (no b'data' / b'labels' keys)")
            images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            labels.extend(int(v) for v in batch[b"labels"])
        arrays[split] = (np.ascontiguousarray(np.concatenate(images)), np.asarray(labels, dtype=np.int64))
    meta = folder / "batches.meta"
    classes = (tuple(n.decode() for n in safe_unpickle(meta)[b"label_names"]) if meta.is_file()
               else CIFAR10_CLASSES)
    return arrays, classes


def _decode(data: bytes, where: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise RuntimeError(f"unreadable image {where}: {err}") from err


def _assemble(entries: dict, where: str) -> tuple[dict, tuple[str, ...]]:
    """entries: {(split, class, file): decoded HWC array} -> per-split arrays. Labels follow CIFAR-10's order
    when the folders are CIFAR-10's class names (as the pickles' labels do, even if a class is absent), else
    the sorted folder names."""
    names = {cls for _, cls, _ in entries}
    classes = CIFAR10_CLASSES if names <= set(CIFAR10_CLASSES) else tuple(sorted(names))
    arrays = {}
    for split in SPLITS:
        keys = sorted(k for k in entries if k[0] == split)
        if not keys:
            raise FileNotFoundError(f"{where}: no images in the {split!r} split (expected {split}/<class>/<image>)")
        shapes = Counter(entries[k].shape for k in keys)
        if len(shapes) > 1:
            usual = shapes.most_common(1)[0][0]
            odd = next(k for k in keys if entries[k].shape != usual)
            raise ValueError(f"{where}: {'/'.join(odd)} is {entries[odd].shape}, most images are {usual}; "
                             f"an in-memory dataset needs one size")
        images = np.stack([entries[k] for k in keys])
        labels = np.asarray([classes.index(k[1]) for k in keys], dtype=np.int64)
        arrays[split] = (images, labels)
    return arrays, classes


def read_image_folder(folder: Path) -> tuple[dict, tuple[str, ...]]:
    entries = {}
    for split in SPLITS:
        split_dir = folder / split
        if not split_dir.is_dir():
            raise FileNotFoundError(f"{split_dir} not found (expected {folder}/{{train,test}}/<class>/<image>)")
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            for path in sorted(class_dir.iterdir()):
                if path.suffix.lower() in IMAGE_EXTENSIONS:
                    entries[(split, class_dir.name, path.name)] = _decode(path.read_bytes(), str(path))
    return _assemble(entries, str(folder))


def read_image_folder_tarball(path: Path) -> tuple[dict, tuple[str, ...]]:
    """An ImageFolder packed as `[<top>/]{train,test}/<class>/<image>`, read member by member."""
    entries = {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) < 3 or Path(member.name).suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            split, cls, name = parts[-3:]
            if split in SPLITS:
                entries[(split, cls, name)] = _decode(tar.extractfile(member).read(), f"{path}:{member.name}")
    if not entries:
        raise FileNotFoundError(f"{path}: no {{train,test}}/<class>/<image> members")
    return _assemble(entries, str(path))


def download_pickles(root: Path) -> Path:
    from torchvision.datasets import CIFAR10
    root.mkdir(parents=True, exist_ok=True)
    CIFAR10(str(root), train=True, download=True)  # downloads and verifies the md5 of the archive
    return root / PICKLE_FOLDER


# ---- the cache ------------------------------------------------------------------------------------------------
def source_sha256(source: Path) -> str:
    """The hash of what a cache was decoded from: the file's sha256 (the tarball), or a folder's content hash
    (the pickles, an ImageFolder: `common.records.content_sha256`)."""
    from common.records import content_sha256 as folder_sha256, sha256_file
    return sha256_file(source) if source.is_file() else folder_sha256(source)["sha256"]


def write_cache(path: Path, arrays: dict, classes, source: str) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        # the source by name only: a record may not hold a host path outside the data root (contracts v5)
        fields = {"classes": np.asarray(classes), "source": np.asarray(Path(source).name),
                  "source_sha256": np.asarray(source_sha256(Path(source)))}
        for split, (images, labels) in arrays.items():
            fields.update({f"{split}_images": images, f"{split}_labels": labels,
                           f"{split}_sha256": np.asarray(content_sha256(images, labels))})
        np.savez(tmp, **fields)
        os.replace(tmp, path)
        return True
    except OSError as err:
        warnings.warn(f"could not write the CIFAR-10 cache {path} ({err}); decoding again in every process")
        return False


class BadCacheError(ValueError):
    """The cache file is there but cannot be read (truncated, another format)."""


def read_cache(path: Path) -> dict[str, ImageArrays]:
    try:
        return _read_cache(path)
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as err:
        raise BadCacheError(f"{path}: unreadable CIFAR-10 cache ({type(err).__name__}: {err})") from err


def _read_cache(path: Path) -> dict[str, ImageArrays]:
    with np.load(path, allow_pickle=False) as cache:
        missing = [f"{s}_{k}" for s in SPLITS for k in ("images", "labels", "sha256") if f"{s}_{k}" not in cache]
        if missing:
            raise ValueError(f"{path}: not a CIFAR-10 cache (missing {', '.join(missing)}); delete it to rebuild")
        classes = tuple(str(c) for c in cache["classes"])
        return {split: ImageArrays(cache[f"{split}_images"], cache[f"{split}_labels"], classes,
                                   f"{cache['source']} (cached in {path})", str(cache[f"{split}_sha256"]))
                for split in SPLITS}


def _find_source(folder: Path, with_cache: bool = True):
    """(kind, path) of the first source in `folder`, or None."""
    if with_cache and (folder / CACHE_NAME).is_file():
        return "cache", folder / CACHE_NAME
    if (folder / PICKLE_FOLDER).is_dir():
        return "pickles", folder / PICKLE_FOLDER
    for candidate in (folder / IMAGEFOLDER_NAME, folder):
        if (candidate / "train").is_dir() and (candidate / "test").is_dir():
            return "imagefolder", candidate
    if (folder / TARBALL_NAME).is_file():
        return "tarball", folder / TARBALL_NAME
    return None


READERS = {"pickles": read_pickles, "imagefolder": read_image_folder, "tarball": read_image_folder_tarball}


def find_cifar10(root: str | os.PathLike, with_cache: bool = True):
    """(kind, path) of the copy `load_cifar10(root)` would read (in `root`, then its parent), or None;
    `with_cache=False`: the first copy other than our cache (what a broken cache is rebuilt from)."""
    root = Path(root)
    return next(filter(None, (_find_source(folder, with_cache) for folder in (root, root.parent))), None)


@functools.lru_cache(maxsize=4)
def load_cifar10(root: str | os.PathLike, download: bool = False) -> dict[str, ImageArrays]:
    """Both splits of CIFAR-10 ({'train': 50,000, 'test': 10,000} images), decoded once per process; see the
    module docstring for where they are looked for."""
    root = Path(root)
    found = find_cifar10(root)
    if found is None and download:
        found = "pickles", download_pickles(root)
    if found is None:
        raise FileNotFoundError(
            f"CIFAR-10 not found in {root} or {root.parent}. Put one of these in {root}: {PICKLE_FOLDER}/ (the "
            f"official python version; or pass download=True, e.g. --cfg-options "
            f"train_dataloader.dataset.download=True, to fetch it), the JPEG copy {TARBALL_NAME} (this project "
            f"keeps it in ../shared/data/), or an ImageFolder {{train,test}}/<class>/<image>.")
    kind, path = found
    if kind == "cache":
        try:
            splits = read_cache(path)
        except BadCacheError as err:
            found = find_cifar10(root, with_cache=False)
            if found is None:
                raise BadCacheError(f"{err}. No other CIFAR-10 copy is in {root} or {root.parent} to rebuild it "
                                    f"from: delete it and run `python -m pretrain.datasets.cifar {root} --source "
                                    f"<{TARBALL_NAME} | {PICKLE_FOLDER}/>`") from None
            warnings.warn(f"{err}; rebuilding it from {found[1]}")
            kind, path = found
    if kind != "cache":
        arrays, classes = READERS[kind](path)
        for split, (images, _) in arrays.items():
            if len(images) != SPLIT_SIZES[split]:
                warnings.warn(f"{path}: {split} split has {len(images)} images, CIFAR-10 has {SPLIT_SIZES[split]}")
        write_cache(root / CACHE_NAME, arrays, classes, str(path))
        splits = {split: ImageArrays(images, labels, tuple(classes), str(path), content_sha256(images, labels))
                  for split, (images, labels) in arrays.items()}
    for split in splits.values():
        split.images.setflags(write=False)  # shared by every dataset of the process
    return splits


def fingerprint(root: str | os.PathLike) -> dict:
    """CIFAR-10's content hash as a record input (contracts v5): sha256 over the decoded arrays' hashes (images
    and labels of train and test: what every run reads, whatever copy it came from), beside the hash of the
    source file the cache was decoded from (None for a cache made before it was kept)."""
    from common.records import sha256_text

    splits = load_cifar10(root)
    arrays = {split: splits[split].sha256 for split in SPLITS}
    found = find_cifar10(root)
    source, source_hash = None, None
    if found is not None and found[0] == "cache":
        with np.load(found[1], allow_pickle=False) as cache:
            source = Path(str(cache["source"])).name
            source_hash = str(cache["source_sha256"]) if "source_sha256" in cache else None
    elif found is not None:
        source, source_hash = found[1].name, source_sha256(found[1])
    return {"sha256": sha256_text(json.dumps(arrays, sort_keys=True)), "hashed": "cifar10-arrays",
            "arrays": arrays, "source": source, "source_sha256": source_hash}


def select_split(arrays: dict[str, ImageArrays], split: str) -> ImageArrays:
    """One split of `load_cifar10`'s result: `train` / `test` as loaded; `val`, 10 % of each training class
    (seed 0: `pretrain.datasets.splits.held_out_split`, the rule of the prepared val splits and of the probe's held-out val);
    `train_minus_val`, the other 90 %."""
    if split in arrays:
        return arrays[split]
    if split not in SELECTABLE_SPLITS:
        raise ValueError(f"CIFAR-10 split {split!r}: expected one of {', '.join(SELECTABLE_SPLITS)}")
    from pretrain.datasets.splits import held_out_split

    train = arrays["train"]
    kept, held = held_out_split(train.labels, VAL_PERCENT, VAL_SEED)
    index = held if split == "val" else kept
    images, labels = train.images[index], train.labels[index]
    images.setflags(write=False)
    return ImageArrays(images, labels, train.classes,
                       f"{train.source} [{split}: {VAL_PERCENT} % of each train class held out, seed {VAL_SEED}]",
                       content_sha256(images, labels))


def main(argv=None) -> int:
    """`python -m pretrain.datasets.cifar ROOT [--source PATH] [--download]`: decode once and write ROOT/cifar10-uint8.npz."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root", help="the data root the configs read, e.g. data/cifar10")
    parser.add_argument("--source", help=f"decode this instead of searching: a {PICKLE_FOLDER}/ folder, an "
                                         f"ImageFolder, or {TARBALL_NAME}")
    parser.add_argument("--download", action="store_true", help="fetch the official copy if nothing is found")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.source:
        source = Path(args.source)
        kind = ("tarball" if source.is_file() else "pickles" if (source / "data_batch_1").is_file()
                else "imagefolder")
        arrays, classes = READERS[kind](source)
        if not write_cache(root / CACHE_NAME, arrays, classes, str(source)):
            return 1
    splits = load_cifar10(root, args.download)
    for name, split in splits.items():
        print(f"{name}: {len(split.labels)} images {split.images.shape[1:]} from {split.source}, sha256 {split.sha256}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
