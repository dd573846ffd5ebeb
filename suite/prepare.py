"""Prepare a paper dataset under ``--data-root``: the layouts and counts of contracts.md §5.1.

    python -m suite.prepare DATASET --src RAW --out ROOT [--download] [--link MODE] [--force]
                                 [--no-count-check]

``RAW`` holds the dataset as distributed (or, with ``--download``, is where torchvision's downloader puts it);
``ROOT`` is the folder every runner later gets as ``--data-root``. Two kinds of dataset:

* **Rebuilt** as ``ROOT/<name>/{train,[val,]test}/<class>/<image>`` (ImageNet, STL-10, Flowers-102, Pets,
  Cars, Aircraft, DTD, Caltech-101, Food-101). Images are linked, not copied (ImageNet is 140 GB): a hard link
  where the file system allows it, else a symbolic link (``--link auto``; ``hardlink``, ``symlink`` or
  ``copy`` force one). Only what cannot be linked is written: STL-10's binaries become PNGs, ImageNet tars
  are extracted. The folder is built under a temporary name and renamed when complete and counted, so a
  ``ROOT/<name>`` that exists is finished; it is never replaced without ``--force`` (which moves it aside to
  ``<name>.old-<timestamp>``). Beside the splits: ``<split>.txt`` (``<class>/<file>`` lines, readable as a
  ``subset_file``) and ``manifest.json`` (dataset, counts, source, link mode, date, command).
* **Read in place** (CIFAR-10/100, VOC07+12, VOC12aug, COCO): the runners read the distributed layout
  itself, so prepare only checks and counts it, and links ``ROOT/<folder>`` to it when ``RAW`` is elsewhere.

Validation splits held out of a training set are 10 % per class with seed 0 (the rule of
`downstream.datasets.stratified_subset`); the images left in ``train/`` are the rest. Counts are those of the
distributed splits (before any hold-out) and must equal §5.1 (the ``expected`` column of `DATASETS`);
a difference is an error naming the split and both numbers. ``--no-count-check`` turns it into a warning
for partial or development copies (and the manifest says so).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from downstream.datasets import (CIFAR_FILES, IMAGE_EXTENSIONS, CifarDataset, DatasetNotFound, scan_image_folder,
                                 stratified_subset)

VAL_PERCENT, VAL_SEED = 10, 0          # contracts.md §5.1: held-out validation splits
CALTECH_TRAIN_PER_CLASS, CALTECH_SEED = 30, 0
MANIFEST = "manifest.json"


class CountMismatch(RuntimeError):
    """A split's image count (or the number of classes) differs from contracts.md §5.1."""


class Sample(NamedTuple):
    """One image of a split: ``source`` is a file to link, bytes to write, or a callable writing the image to an
    open file."""
    source: Path | bytes | Callable[[BinaryIO], None]
    label: str          # the class folder name
    name: str           # file name inside the class folder


Splits = dict[str, Iterable[Sample]]   # lists, or generators where counting needs the work done (tars)


# ----------------------------------------------------------------------------------------------- helpers
def class_folder(name: str) -> str:
    """A class name as a folder name: Aircraft's ``F/A-18`` and Cars' ``Ram C/V ...`` contain slashes."""
    return str(name).strip().replace("/", "-")


def must_exist(path: Path) -> Path:
    """The path, or an error naming it (`prepare` adds the expected layout)."""
    if not path.exists():
        raise DatasetNotFound(f"not found: {path}")
    return path


def read_lines(path: Path) -> list[str]:
    """Non-empty lines, without comment lines (Pets' lists start with some)."""
    return [line.strip() for line in must_exist(path).read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def loadmat(path: Path) -> dict:
    from scipy.io import loadmat as _loadmat   # scipy only where a dataset ships .mat files
    return _loadmat(must_exist(path), squeeze_me=True)


def mat_records(array) -> list:
    """A loadmat struct array as a list (squeeze_me makes a one-element array a scalar)."""
    return list(np.atleast_1d(array))


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(IMAGE_EXTENSIONS))


# ----------------------------------------------------------------------------------------------- raw readers
# Each reader takes the raw root (the folder the spec's `marker` was found in) and returns the distributed
# splits as samples; the spec says which split a validation set is held out of.
def read_flowers102(raw: Path) -> Splits:
    labels = np.atleast_1d(loadmat(raw / "imagelabels.mat")["labels"])   # 1-based class of image i+1
    set_ids = loadmat(raw / "setid.mat")
    # no class names ship with the release; zero-padded ids keep folder order = label order
    return {split: [Sample(raw / "jpg" / f"image_{i:05d}.jpg", f"{int(labels[i - 1]):03d}", f"image_{i:05d}.jpg")
                    for i in np.atleast_1d(set_ids[key]).astype(int).tolist()]
            for split, key in (("train", "trnid"), ("val", "valid"), ("test", "tstid"))}


def read_pets(raw: Path) -> Splits:
    splits = {}
    for split in ("trainval", "test"):
        image_ids = [line.split()[0] for line in read_lines(raw / "annotations" / f"{split}.txt")]
        # the breed is the file name without its trailing _<number> (Abyssinian_100, american_bulldog_12)
        splits[split] = [Sample(raw / "images" / f"{i}.jpg", i.rsplit("_", 1)[0], f"{i}.jpg") for i in image_ids]
    return splits


def read_cars(raw: Path) -> Splits:
    if (raw / "cars_annos.mat").is_file():   # the all-in-one release: car_ims/ + one annotation file
        annos = loadmat(raw / "cars_annos.mat")
        names = [class_folder(n) for n in np.atleast_1d(annos["class_names"])]
        splits = {"train": [], "test": []}
        for a in mat_records(annos["annotations"]):
            path = raw / str(a["relative_im_path"])
            splits["test" if int(a["test"]) else "train"].append(Sample(path, names[int(a["class"]) - 1], path.name))
        return splits
    # torchvision's layout (devkit + per-split folders)
    names = [class_folder(n) for n in np.atleast_1d(loadmat(raw / "devkit" / "cars_meta.mat")["class_names"])]
    test_annos = raw / "cars_test_annos_withlabels.mat"
    if not test_annos.is_file() and (raw / "devkit" / test_annos.name).is_file():
        test_annos = raw / "devkit" / test_annos.name
    splits = {}
    for split, annos in (("train", raw / "devkit" / "cars_train_annos.mat"), ("test", test_annos)):
        splits[split] = [Sample(raw / f"cars_{split}" / str(a["fname"]), names[int(a["class"]) - 1], str(a["fname"]))
                         for a in mat_records(loadmat(annos)["annotations"])]
    return splits


def read_aircraft(raw: Path) -> Splits:
    splits = {}
    for split in ("train", "val", "test"):
        rows = [line.split(" ", 1) for line in read_lines(raw / "data" / f"images_variant_{split}.txt")]
        splits[split] = [Sample(raw / "data" / "images" / f"{i}.jpg", class_folder(variant), f"{i}.jpg")
                         for i, variant in rows]
    return splits


def read_dtd(raw: Path) -> Splits:
    return {split: [Sample(raw / "images" / rel, rel.split("/")[0], rel.split("/")[-1])
                    for rel in read_lines(raw / "labels" / f"{split}1.txt")]
            for split in ("train", "val", "test")}


def read_caltech101(raw: Path) -> Splits:
    """30 images per class drawn from (seed, class index) for train, the rest test; the background "class"
    (BACKGROUND_Google, clutter images) is dropped, as torchvision does."""
    categories = raw / "101_ObjectCategories"
    classes = sorted(p.name for p in must_exist(categories).iterdir() if p.is_dir() and p.name != "BACKGROUND_Google")
    splits = {"train": [], "test": []}
    for label, name in enumerate(classes):
        files = image_files(categories / name)
        rng = np.random.default_rng(np.random.SeedSequence([CALTECH_SEED, label]))
        train = set(rng.permutation(len(files))[:CALTECH_TRAIN_PER_CLASS].tolist())
        for i, path in enumerate(files):
            splits["train" if i in train else "test"].append(Sample(path, name, path.name))
    return splits


def read_food101(raw: Path) -> Splits:
    return {split: [Sample(raw / "images" / f"{rel}.jpg", rel.split("/")[0], rel.split("/")[-1] + ".jpg")
                    for rel in read_lines(raw / "meta" / f"{split}.txt")]
            for split in ("train", "test")}


STL10_CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
STL10_SHAPE = (3, 96, 96)


def read_stl10(raw: Path) -> Splits:
    names_file = raw / "class_names.txt"
    classes = read_lines(names_file) if names_file.is_file() else STL10_CLASSES
    splits = {}
    for split in ("train", "test", "unlabeled"):
        # memory-mapped: the unlabeled split alone is 2.7 GB
        images = np.memmap(must_exist(raw / f"{split}_X.bin"), dtype=np.uint8, mode="r").reshape(-1, *STL10_SHAPE)
        if split == "unlabeled":
            labels = ["0"] * len(images)     # one pseudo-class folder, so the split is an ImageFolder
        else:
            y = np.fromfile(must_exist(raw / f"{split}_y.bin"), dtype=np.uint8)
            if len(y) != len(images):
                raise DatasetNotFound(f"{raw / f'{split}_X.bin'} holds {len(images)} images but "
                                      f"{raw / f'{split}_y.bin'} {len(y)} labels")
            labels = [classes[int(v) - 1] for v in y]      # stored 1..10
        splits[split] = [Sample(_stl10_png(images, i), label, f"{split}_{i:06d}.png")
                         for i, label in enumerate(labels)]
    return splits


def _stl10_png(images: np.ndarray, index: int) -> Callable[[BinaryIO], None]:
    def write(handle: BinaryIO) -> None:
        # stored column-major per image, (C, W, H) -> (H, W, C): the orientation `STL10Dataset` reads
        Image.fromarray(np.ascontiguousarray(images[index].transpose(2, 1, 0))).save(handle, format="PNG")
    return write


# ImageNet: train as <wnid> folders, per-class <wnid>.tar files or ILSVRC2012_img_train.tar; val as <wnid>
# folders, a flat folder or ILSVRC2012_img_val.tar plus a labels file.
IMAGENET_VAL_LABELS = ("LOC_val_solution.csv (Kaggle: ImageId,PredictionString '<wnid> x y x y ...'), "
                       "ILSVRC2012_validation_ground_truth.txt + meta.mat (devkit ILSVRC2012_devkit_t12/data/), "
                       "or val_labels.txt ('<file> <wnid>' lines)")


def imagenet_val_labels(raw: Path) -> dict[str, str]:
    """{val file name: wnid} from whichever ground truth is present, in the raw root, up to three folders
    above it (Kaggle keeps LOC_val_solution.csv beside ILSVRC/Data/CLS-LOC) or their devkit folder."""
    above = [raw, *list(raw.parents)[:3]]
    folders = list(dict.fromkeys([*above, *(p / "ILSVRC2012_devkit_t12" / "data" for p in above)]))
    for folder in folders:
        if (folder / "val_labels.txt").is_file():
            return dict(line.split()[:2] for line in read_lines(folder / "val_labels.txt"))
        if (folder / "LOC_val_solution.csv").is_file():
            rows = read_lines(folder / "LOC_val_solution.csv")[1:]          # header ImageId,PredictionString
            return {f"{image_id}.JPEG": boxes.split()[0] for image_id, boxes in (r.split(",", 1) for r in rows)}
        truth = folder / "ILSVRC2012_validation_ground_truth.txt"
        if truth.is_file():
            synsets = loadmat(folder / "meta.mat")["synsets"]
            wnid = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in mat_records(synsets)}
            # line k holds the class id (1..1000) of ILSVRC2012_val_<k, 8 digits>.JPEG
            return {f"ILSVRC2012_val_{k:08d}.JPEG": wnid[int(v)] for k, v in enumerate(read_lines(truth), 1)}
    raise DatasetNotFound(f"ImageNet val images are not in class folders and no ground truth was found in "
                          f"{', '.join(map(str, folders))}: expected {IMAGENET_VAL_LABELS}")


def read_imagenet(raw: Path) -> Splits:
    return {"train": _imagenet_train(raw), "val": _imagenet_val(raw)}


def _imagenet_train(raw: Path) -> Iterable[Sample]:
    train_tar, train = raw / "ILSVRC2012_img_train.tar", raw / "train"
    if train.is_dir() and any(p.is_dir() for p in train.iterdir()):
        return [Sample(p, d.name, p.name) for d in sorted(train.iterdir()) if d.is_dir() for p in image_files(d)]
    if train.is_dir() and any(p.suffix == ".tar" for p in train.iterdir()):
        return _class_tars((p.stem, p.open("rb")) for p in sorted(train.glob("*.tar")))
    if train_tar.is_file():
        return _class_tars(_tar_members(train_tar))
    raise DatasetNotFound(f"ImageNet train not found: expected {train}/<wnid>/*.JPEG, {train}/<wnid>.tar or "
                          f"{train_tar}")


def _imagenet_val(raw: Path) -> Iterable[Sample]:
    val_tar, val = raw / "ILSVRC2012_img_val.tar", raw / "val"
    if val.is_dir() and any(p.is_dir() for p in val.iterdir()):     # already re-foldered
        return [Sample(p, d.name, p.name) for d in sorted(val.iterdir()) if d.is_dir() for p in image_files(d)]
    if val.is_dir():
        labels = imagenet_val_labels(raw)
        files = image_files(val)
        unlabelled = [p.name for p in files if p.name not in labels]
        if unlabelled:
            raise DatasetNotFound(f"{len(unlabelled)} val images have no ground-truth label, e.g. {unlabelled[:3]}")
        return [Sample(p, labels[p.name], p.name) for p in files]
    if val_tar.is_file():
        labels = imagenet_val_labels(raw)
        return (Sample(data, labels[name], name) for name, data in _tar_files(val_tar.open("rb")))
    raise DatasetNotFound(f"ImageNet val not found: expected {val}/ (flat, with {IMAGENET_VAL_LABELS}, or "
                          f"<wnid> folders) or {val_tar}")


def _tar_members(path: Path):
    """(wnid, file object) of each per-class tar inside the outer train tar, streamed."""
    with tarfile.open(path, mode="r|") as outer:
        for member in outer:
            if member.isfile() and member.name.endswith(".tar"):
                yield Path(member.name).stem, outer.extractfile(member)


def _tar_files(fileobj):
    """(file name, bytes) of each regular file of a tar stream; names are reduced to their last component,
    so no member can write outside its class folder."""
    with fileobj, tarfile.open(fileobj=fileobj, mode="r|") as archive:
        for member in archive:
            if member.isfile():
                yield Path(member.name).name, archive.extractfile(member).read()


def _class_tars(class_tars) -> Iterable[Sample]:
    for wnid, fileobj in class_tars:
        for name, data in _tar_files(fileobj):
            yield Sample(data, wnid, name)


# ----------------------------------------------------------------------------------------------- in-place checks
# Each returns ({split: count}, number of classes, the folder name under ROOT) for a dataset the runners read
# as distributed; missing files are errors.
def count_cifar(raw: Path, variant: str) -> tuple[dict[str, int], int, str]:
    """Counts of the python pickles (through the reader the configs use) or of the JPEG copy's ImageFolder."""
    pickles_folder, files = CIFAR_FILES[variant][:2]
    if (raw / files["test"][0]).is_file():
        datasets = {split: CifarDataset(raw, split, variant) for split in ("train", "test")}
        return {s: len(d) for s, d in datasets.items()}, len(set(datasets["train"].labels)), pickles_folder
    folders = {split: scan_image_folder(raw, split) for split in ("train", "test")}
    return {s: len(samples) for s, (_, samples) in folders.items()}, len(folders["train"][0]), variant


def _listed_files(root: Path, list_file: str, *patterns: str) -> int:
    """Number of ids in ``root/list_file``; each ``pattern.format(id)`` must exist under root."""
    ids = read_lines(root / list_file)
    missing = [str(root / p.format(i)) for i in ids for p in patterns if not (root / p.format(i)).is_file()]
    if missing:
        raise DatasetNotFound(f"{root / list_file}: {len(missing)} listed files are absent, e.g. {missing[:3]}")
    return len(ids)


def count_voc0712(raw: Path) -> tuple[dict[str, int], int, str]:
    main, jpg, xml = "ImageSets/Main/{}.txt", "JPEGImages/{}.jpg", "Annotations/{}.xml"
    return {f"{year} {split}": _listed_files(raw / year, main.format(split), jpg, xml)
            for year, split in (("VOC2007", "trainval"), ("VOC2007", "test"), ("VOC2012", "trainval"))}, 20, "VOCdevkit"


def count_voc12aug(raw: Path) -> tuple[dict[str, int], int, str]:
    """mmseg's pascal_voc12_aug: train = train.txt (SegmentationClass) + aug.txt (SegmentationClassAug)."""
    voc12, seg = raw / "VOC2012", "ImageSets/Segmentation/{}.txt"
    if not (voc12 / "SegmentationClassAug").is_dir():
        raise DatasetNotFound(f"not found: {voc12 / 'SegmentationClassAug'}; build it from SBD with mmseg's "
                              f"tools/dataset_converters/voc_aug.py (REPRODUCE.md §2.5)")
    train = _listed_files(voc12, seg.format("train"), "JPEGImages/{}.jpg", "SegmentationClass/{}.png")
    aug = _listed_files(voc12, seg.format("aug"), "JPEGImages/{}.jpg", "SegmentationClassAug/{}.png")
    val = _listed_files(voc12, seg.format("val"), "JPEGImages/{}.jpg", "SegmentationClass/{}.png")
    return {"train+aug": train + aug, "val": val}, 21, "VOCdevkit"


def count_coco(raw: Path) -> tuple[dict[str, int], int, str]:
    for split in ("train2017", "val2017"):
        must_exist(raw / "annotations" / f"instances_{split}.json")
    counts = {split: len(image_files(must_exist(raw / split))) for split in ("train2017", "val2017")}
    # the val annotations are small (25 MB) and carry the same category list as train
    categories = json.loads((raw / "annotations" / "instances_val2017.json").read_text())["categories"]
    return counts, len(categories), "coco"


# ----------------------------------------------------------------------------------------------- downloads
def _torchvision(cls_name: str, *calls: dict) -> Callable[[Path], None]:
    def download(src: Path) -> None:
        import torchvision.datasets as tvd
        for kwargs in calls or ({},):
            getattr(tvd, cls_name)(str(src), download=True, **kwargs)
    download.__doc__ = f"torchvision.datasets.{cls_name}(download=True)"
    return download


def _no_download(reason: str) -> Callable[[Path], None]:
    def download(src: Path) -> None:
        raise DatasetNotFound(f"no downloader: {reason}")
    download.__doc__ = reason
    return download


# ----------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class DatasetSpec:
    folder: str                       # ROOT/<folder>
    expected: dict[str, int]          # contracts.md §5.1: images per distributed split
    classes: int
    raw_layout: str                   # for errors: what --src must contain
    marker: str                       # a path relative to the raw root that identifies it
    raw_candidates: tuple[str, ...]   # where under --src the raw root may be (torchvision's folders first)
    read: Callable | None = None      # rebuilt datasets: raw root -> Splits
    count: Callable | None = None     # read-in-place datasets: raw root -> ({split: n}, classes, folder)
    val_from: str | None = None       # hold val out of this split (the rest becomes "train")
    download: Callable[[Path], None] | None = None

    @property
    def in_place(self) -> bool:
        return self.count is not None


_IMAGENET_NO_DOWNLOAD = ("ImageNet needs an account at image-net.org; download ILSVRC2012_img_train.tar, "
                         "ILSVRC2012_img_val.tar and the devkit (or Kaggle's imagenet-object-localization-challenge)")
DATASETS: dict[str, DatasetSpec] = {
    "imagenet": DatasetSpec(
        "imagenet", {"train": 1_281_167, "val": 50_000}, 1000,
        "train/<wnid>/*.JPEG, train/<wnid>.tar or ILSVRC2012_img_train.tar; val/ (flat or <wnid> folders) or "
        f"ILSVRC2012_img_val.tar, with {IMAGENET_VAL_LABELS}",
        "", ("ILSVRC/Data/CLS-LOC", "imagenet", ""), read=read_imagenet, download=_no_download(_IMAGENET_NO_DOWNLOAD)),
    "stl10": DatasetSpec(
        "stl10", {"train": 5_000, "test": 8_000, "unlabeled": 100_000}, 10,
        "stl10_binary/{train,test}_{X,y}.bin, unlabeled_X.bin, class_names.txt",
        "train_X.bin", ("stl10_binary", ""), read=read_stl10, download=_torchvision("STL10")),
    "cifar10": DatasetSpec(
        "cifar-10-batches-py", {"train": 50_000, "test": 10_000}, 10,
        "cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta} or the JPEG copy cifar10/{train,test}/<class>/",
        "", ("cifar-10-batches-py", "cifar10", "cifar10-jpeg", ""), count=lambda raw: count_cifar(raw, "cifar10"),
        download=_torchvision("CIFAR10")),
    "cifar100": DatasetSpec(
        "cifar-100-python", {"train": 50_000, "test": 10_000}, 100,
        "cifar-100-python/{train,test,meta} or the JPEG copy cifar100/{train,test}/<class>/",
        "", ("cifar-100-python", "cifar100", ""), count=lambda raw: count_cifar(raw, "cifar100"),
        download=_torchvision("CIFAR100")),
    "flowers102": DatasetSpec(
        "flowers102", {"train": 1_020, "val": 1_020, "test": 6_149}, 102,
        "flowers-102/{jpg/image_NNNNN.jpg, imagelabels.mat, setid.mat}",
        "setid.mat", ("flowers-102", "flowers102", ""), read=read_flowers102, download=_torchvision("Flowers102")),
    "pets": DatasetSpec(
        "pets", {"trainval": 3_680, "test": 3_669}, 37,
        "oxford-iiit-pet/{images/*.jpg, annotations/{trainval,test}.txt}",
        "annotations/trainval.txt", ("oxford-iiit-pet", "pets", ""), read=read_pets, val_from="trainval",
        download=_torchvision("OxfordIIITPet")),
    "cars": DatasetSpec(
        "cars", {"train": 8_144, "test": 8_041}, 196,
        "stanford_cars/{devkit/{cars_meta,cars_train_annos}.mat, cars_test_annos_withlabels.mat, cars_train/, "
        "cars_test/} (torchvision's layout) or {cars_annos.mat, car_ims/}",
        "", ("stanford_cars", "cars", ""), read=read_cars, val_from="train",
        download=_no_download("torchvision's StanfordCars download is broken upstream (the original URL is gone); "
                              "fetch a mirror of the devkit, cars_train, cars_test and cars_test_annos_withlabels.mat "
                              "and arrange them as stanford_cars/")),
    "aircraft": DatasetSpec(
        "aircraft", {"train": 3_334, "val": 3_333, "test": 3_333}, 100,
        "fgvc-aircraft-2013b/data/{images/*.jpg, images_variant_{train,val,test}.txt}",
        "data/images_variant_train.txt", ("fgvc-aircraft-2013b", "aircraft", ""), read=read_aircraft,
        download=_torchvision("FGVCAircraft")),
    "dtd": DatasetSpec(
        "dtd", {"train": 1_880, "val": 1_880, "test": 1_880}, 47,
        "dtd/{images/<class>/*.jpg, labels/{train,val,test}1.txt}",
        "labels/train1.txt", ("dtd/dtd", "dtd", ""), read=read_dtd, download=_torchvision("DTD")),
    "caltech101": DatasetSpec(
        "caltech101", {"train": 3_030, "test": 5_647}, 101,
        "101_ObjectCategories/<class>/*.jpg (BACKGROUND_Google is dropped)",
        "101_ObjectCategories", ("caltech101", ""), read=read_caltech101, val_from="train",
        download=_torchvision("Caltech101")),
    "food101": DatasetSpec(
        "food101", {"train": 75_750, "test": 25_250}, 101,
        "food-101/{images/<class>/*.jpg, meta/{train,test}.txt}",
        "meta/train.txt", ("food-101", "food101", ""), read=read_food101, val_from="train",
        download=_torchvision("Food101")),
    "voc0712": DatasetSpec(
        "VOCdevkit", {"VOC2007 trainval": 5_011, "VOC2007 test": 4_952, "VOC2012 trainval": 11_540}, 20,
        "VOCdevkit/VOC2007/{Annotations,JPEGImages,ImageSets/Main/{trainval,test}.txt} and "
        "VOCdevkit/VOC2012/{Annotations,JPEGImages,ImageSets/Main/trainval.txt}",
        "VOC2007", ("VOCdevkit", ""), count=count_voc0712,
        download=_torchvision("VOCDetection", dict(year="2007", image_set="trainval"),
                              dict(year="2007", image_set="test"), dict(year="2012", image_set="trainval"))),
    "voc12aug": DatasetSpec(
        "VOCdevkit", {"train+aug": 10_582, "val": 1_449}, 21,
        "VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,SegmentationClassAug,"
        "ImageSets/Segmentation/{train,aug,val}.txt}",
        "VOC2012", ("VOCdevkit", ""), count=count_voc12aug,
        # SBD's SegmentationClassAug has no torchvision downloader in this layout: mmseg's converter builds it
        download=_torchvision("VOCSegmentation", dict(year="2012", image_set="trainval"))),
    "coco": DatasetSpec(
        "coco", {"train2017": 118_287, "val2017": 5_000}, 80,
        "coco/{train2017/*.jpg, val2017/*.jpg, annotations/instances_{train,val}2017.json}",
        "train2017", ("coco", ""), count=count_coco,
        download=_no_download("torchvision has no COCO downloader; fetch train2017.zip, val2017.zip and "
                              "annotations_trainval2017.zip from cocodataset.org and unzip them into coco/")),
}


# ----------------------------------------------------------------------------------------------- the work
def locate_raw(spec: DatasetSpec, name: str, src: Path) -> Path:
    """The first candidate folder under --src that holds the spec's marker."""
    tried = []
    for candidate in spec.raw_candidates:
        raw = src / candidate
        if raw.is_dir() and (raw / spec.marker).exists():
            return raw.resolve()
        tried.append(str(raw / spec.marker))
    raise DatasetNotFound(f"{name}: raw data not found under {src}: looked for {', '.join(tried)}")


def check_counts(name: str, counts: dict[str, int], classes: int, spec: DatasetSpec, strict: bool) -> list[str]:
    """Every difference from §5.1: raised when strict, else warned about and returned (for the manifest)."""
    problems = [f"split '{split}' has {counts.get(split, 0):,} images, expected {n:,}"
                for split, n in spec.expected.items() if counts.get(split, 0) != n]
    if classes != spec.classes:
        problems.append(f"{classes} classes, expected {spec.classes}")
    if problems and strict:
        raise CountMismatch(f"{name}: {'; '.join(problems)} (contracts.md §5.1; pass --no-count-check to accept "
                            f"a partial copy)")
    for problem in problems:
        warnings.warn(f"{name}: {problem} (--no-count-check)", stacklevel=2)
    return problems


def hold_out_val(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    """(train, val): val is VAL_PERCENT % of each class drawn with VAL_SEED, the rule of `stratified_subset`."""
    index = {label: i for i, label in enumerate(sorted({s.label for s in samples}))}
    val = {i for i, _ in stratified_subset([(i, index[s.label]) for i, s in enumerate(samples)],
                                           VAL_PERCENT, VAL_SEED)}
    return [s for i, s in enumerate(samples) if i not in val], [s for i, s in enumerate(samples) if i in val]


def place(source: Path | bytes | Callable[[BinaryIO], None], dest: Path, link: str) -> str:
    """Put one image at dest (never over an existing file); returns how: hardlink, symlink, copy, written."""
    if isinstance(source, bytes) or callable(source):
        with open(dest, "xb") as handle:
            if isinstance(source, bytes):
                handle.write(source)
            else:
                source(handle)
        return "written"
    if link in ("auto", "hardlink"):
        try:
            os.link(source, dest)
            return "hardlink"
        except FileExistsError:
            raise
        except OSError:   # another file system, or a file this user may not hard-link (protected_hardlinks)
            if link == "hardlink":
                raise
    if link in ("auto", "symlink"):
        os.symlink(source, dest)      # absolute: raw roots are resolved
        return "symlink"
    shutil.copyfile(source, dest)
    return "copy"


def write_split(samples: Iterable[Sample], out: Path, split: str, link: str, total: int | None) -> tuple[list, set]:
    """Write one split as ``out/split/<class>/<name>`` and its list ``out/split.txt``; returns (list lines,
    placement modes used)."""
    lines, modes, made = [], set(), set()
    for sample in tqdm(samples, desc=f"{out.name.split('.tmp-')[0].lstrip('.')}/{split}", total=total,
                       unit="img", mininterval=2, leave=False):
        folder = out / split / sample.label
        if sample.label not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(sample.label)
        modes.add(place(sample.source, folder / sample.name, link))
        lines.append(f"{sample.label}/{sample.name}")
    lines.sort()
    (out / f"{split}.txt").write_text("".join(f"{line}\n" for line in lines))
    return lines, modes


def check_class_sets(name: str, labels: dict[str, set[str]]) -> int:
    """Every labelled split must hold every class: an ImageFolder numbers a split's own sorted class folders,
    so a split without some class would silently shift the labels of the others. Returns the class count."""
    labelled = {split: classes for split, classes in labels.items() if split != "unlabeled"}
    every = set().union(*labelled.values())
    for split, classes in labelled.items():
        if classes != every:
            absent = sorted(every - classes)
            raise CountMismatch(f"{name}: split '{split}' has no images of {len(absent)} classes, e.g. {absent[:3]} "
                                f"(its ImageFolder labels would not line up with the other splits')")
    return len(every)


def prepare(name: str, src: str | os.PathLike | None, out: str | os.PathLike, *, download: bool = False,
            link: str = "auto", force: bool = False, count_check: bool = True, argv: list[str] | None = None) -> dict:
    """Prepare one dataset (see the module docstring); returns its manifest (or, read in place, its counts)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")
    spec = DATASETS[name]
    out = Path(out).absolute()
    src = Path(src).absolute() if src is not None else out
    if download:
        if spec.download is None:
            raise DatasetNotFound(f"{name}: no downloader")
        src.mkdir(parents=True, exist_ok=True)
        print(f"{name}: downloading into {src} with {spec.download.__doc__}", flush=True)
        spec.download(src)
    try:
        raw = locate_raw(spec, name, src)
        manifest = {"dataset": name, "source": str(raw),
                    "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": "python -m suite.prepare " + " ".join(sys.argv[1:] if argv is None else argv)}
        if spec.in_place:
            return _check_in_place(name, spec, raw, out, count_check, manifest)
        target = out / spec.folder
        if (target.exists() or target.is_symlink()) and not force:
            raise FileExistsError(f"{target} exists ({_made_by(target)}); pass --force to move it aside and "
                                  f"prepare again")
        splits = spec.read(raw)
        missing = [str(s.source) for samples in splits.values() if isinstance(samples, list)
                   for s in samples if isinstance(s.source, Path) and not s.source.is_file()]
        if missing:
            raise DatasetNotFound(f"{len(missing)} images listed by the split files are absent, e.g. {missing[:3]}")
    except DatasetNotFound as err:
        raise DatasetNotFound(f"{err} (expected under --src {src}: {spec.raw_layout})") from err

    # Lists are checked before anything is written; tar-streamed ImageNet only as it is written.
    sized = all(isinstance(samples, list) for samples in splits.values())
    if sized:
        source_classes = check_class_sets(name, {k: {s.label for s in v} for k, v in splits.items()})
        problems = check_counts(name, {k: len(v) for k, v in splits.items()}, source_classes, spec, count_check)
    if spec.val_from:
        train, val = hold_out_val(splits.pop(spec.val_from))
        splits = {"train": train, "val": val, **splits}
        check_class_sets(name, {"train": {s.label for s in train}, "val": {s.label for s in val}})

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.folder}.tmp-", dir=out))
    try:
        lists, modes = {}, set()
        for split, samples in splits.items():
            total = len(samples) if isinstance(samples, list) else spec.expected.get(split)
            lists[split], split_modes = write_split(samples, tmp, split, link, total)
            modes |= split_modes
        counts = {split: len(lines) for split, lines in lists.items()}
        source_counts = dict(counts)     # the distributed splits, what §5.1 counts
        if spec.val_from:
            held_out_of = source_counts.pop("train") + source_counts.pop("val")
            source_counts = {spec.val_from: held_out_of, **source_counts}
        classes = check_class_sets(name, {k: {line.split("/")[0] for line in v} for k, v in lists.items()})
        if not sized:
            problems = check_counts(name, source_counts, classes, spec, count_check)
        manifest.update(
            layout=str(target), counts=counts, source_counts=source_counts, classes=classes,
            link=sorted(modes), count_check=count_check, count_problems=problems,
            lists=[f"{split}.txt" for split in lists],
            val_split=(dict(held_out_of=spec.val_from, percent_per_class=VAL_PERCENT, seed=VAL_SEED)
                       if spec.val_from else None))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        tmp.chmod(0o755)     # mkdtemp makes it 0700
        if target.exists() or target.is_symlink():     # --force, and only now that the new one is complete
            aside = target.with_name(f"{target.name}.old-{_dt.datetime.now():%Y%m%d-%H%M%S}")
            target.rename(aside)
            print(f"moved the existing {target} aside to {aside}", flush=True)
        tmp.rename(target)   # atomic: ROOT/<folder> appears only complete and counted
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)   # removes the links, never what they point to
        raise
    return manifest


def _made_by(target: Path) -> str:
    if (target / MANIFEST).is_file():
        return f"prepared {json.loads((target / MANIFEST).read_text()).get('date', '?')}"
    return "not made by suite.prepare"


def _check_in_place(name: str, spec: DatasetSpec, raw: Path, out: Path, count_check: bool, manifest: dict) -> dict:
    """Count a dataset the runners read as distributed; link ROOT/<folder> to it when it lives elsewhere."""
    counts, classes, folder = spec.count(raw)
    problems = check_counts(name, counts, classes, spec, count_check)
    target = out / folder
    if target.resolve() != raw:
        if target.exists() or target.is_symlink():
            raise FileExistsError(f"{target} exists and is not {raw}; remove it, or pass --src {out}")
        out.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{folder}.tmp-{os.getpid()}")
        os.symlink(raw, tmp)
        os.replace(tmp, target)
    return {**manifest, "layout": str(target), "counts": counts, "classes": classes, "count_problems": problems}


# ----------------------------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m suite.prepare", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="datasets and the raw layout --src must hold:\n" + "\n".join(
                                         f"  {n:<11} {s.raw_layout}" for n, s in DATASETS.items()))
    parser.add_argument("dataset", choices=list(DATASETS))
    parser.add_argument("--src", help="the raw dataset as distributed (default: --out); with --download, where "
                                      "it is downloaded to (keep it: the prepared folder links into it)")
    parser.add_argument("--out", required=True, help="the data root the runners get as --data-root")
    parser.add_argument("--download", action="store_true", help="download into --src with torchvision first")
    parser.add_argument("--link", choices=("auto", "hardlink", "symlink", "copy"), default="auto",
                        help="how images reach the prepared folder (auto: hard link, else symbolic link)")
    parser.add_argument("--force", action="store_true", help="move an existing prepared folder aside and redo it")
    parser.add_argument("--no-count-check", dest="count_check", action="store_false",
                        help="warn instead of failing when counts differ from contracts.md §5.1 (partial copies)")
    args = parser.parse_args(argv)
    try:
        manifest = prepare(args.dataset, args.src, args.out, download=args.download, link=args.link,
                           force=args.force, count_check=args.count_check, argv=argv)
    except (DatasetNotFound, CountMismatch, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{k} {v:,}" for k, v in manifest["counts"].items())
    print(f"{args.dataset}: {manifest['layout']} ({counts}; {manifest['classes']} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
