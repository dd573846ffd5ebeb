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

The per-format readers (raw readers and in-place checks) are in `suite.prepare_readers`; this module
holds the table of datasets (`DATASETS`), the writing of the rebuilt layouts and the command line.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from downstream.datasets import DatasetNotFound, stratified_subset
from suite.prepare_readers import (IMAGENET_VAL_LABELS, Sample, count_cifar, count_coco, count_voc0712,
                                   count_voc12aug, read_aircraft, read_caltech101, read_cars, read_dtd,
                                   read_flowers102, read_food101, read_imagenet, read_pets, read_stl10)

VAL_PERCENT, VAL_SEED = 10, 0          # contracts.md §5.1: held-out validation splits
MANIFEST = "manifest.json"


class CountMismatch(RuntimeError):
    """A split's image count (or the number of classes) differs from contracts.md §5.1."""


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
