"""The ImageFolder scan, once for both stages: `<root>/<split>/<class>/<image files>` → (sorted class names,
[(path, label)]). Read by pretraining (`pretrain.data`) and every downstream reader (`downstream.datasets`);
errors are `DatasetNotFound` (a FileNotFoundError) naming the missing path and the layout expected."""
from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
IMAGEFOLDER_HINT = ("expected ImageFolder layout <data_root>/<split>/<class>/<image files>, e.g. "
                    "imagenet/train/n01440764/n01440764_10026.JPEG or flowers102/test/<class>/*.jpg; "
                    "pass --data-root R so that R/<dataset folder>/<split> exists")


class DatasetNotFound(FileNotFoundError):
    """A dataset root, split, class folder or file list is absent; the message names the path and layout."""


def scan_image_folder(root: str | os.PathLike, split: str) -> tuple[list[str], list[tuple[str, int]]]:
    """(sorted class names, [(path, label)]) of ``root/split``; errors name the missing path."""
    split_dir = Path(root) / split
    if not split_dir.is_dir():
        what = "dataset root" if not Path(root).is_dir() else "split"
        raise DatasetNotFound(f"{what} not found: looked for {split_dir} ({IMAGEFOLDER_HINT})")
    classes = sorted(entry.name for entry in os.scandir(split_dir) if entry.is_dir())
    if not classes:
        raise DatasetNotFound(f"no class folders in {split_dir} ({IMAGEFOLDER_HINT})")
    samples = []
    for label, name in enumerate(classes):
        files = sorted(entry.name for entry in os.scandir(split_dir / name)
                       if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise DatasetNotFound(f"empty class folder {split_dir / name}: no {'/'.join(IMAGE_EXTENSIONS)} "
                                  f"files; remove the folder or add its images")
        samples.extend((str(split_dir / name / file), label) for file in files)
    return classes, samples
