"""The per-format readers of `suite.prepare`: each turns a dataset as distributed (the raw root) into its splits.

* **Raw readers** (``read_<dataset>``), for the datasets prepare rebuilds as ``ROOT/<name>/<split>/<class>/``:
  ImageNet (class folders, per-class tars or the whole tars, with its val ground truth), STL-10's binaries,
  Flowers-102, Pets, Cars, Aircraft, DTD, Caltech-101, Food-101. Each returns ``{split: [Sample, ...]}``.
* **In-place checks** (``count_<dataset>``), for the datasets the runners read as distributed: CIFAR-10/100
  pickles (or their JPEG copy), VOC07+12, VOC12aug, COCO. Each returns ``({split: count}, classes, folder)``.

Which reader serves which dataset, the expected counts and the layouts are `suite.prepare.DATASETS`.
"""
from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
from PIL import Image

from downstream.datasets import CIFAR_FILES, IMAGE_EXTENSIONS, CifarDataset, DatasetNotFound, scan_image_folder

CALTECH_TRAIN_PER_CLASS, CALTECH_SEED = 30, 0


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
