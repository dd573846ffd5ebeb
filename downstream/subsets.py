"""Write a deterministic, class-stratified labelled subset of an ImageFolder split as a file list.

    python -m downstream.subsets --data-root data/scenes-64 --split train --percent 10 --seed 0 --out FILE
    python -m downstream.subsets --data-root data/imagenet --percent 1 --format simclr --out my1percent.txt

Per class, round(percent % of its images) (at least one) are drawn from (seed, class index) and listed in
the folder's sorted order. ``--format relative`` (default) writes ``<class>/<file>`` lines; ``--format simclr``
writes bare file names like SimCLR's ImageNet lists (``n01440764_10026.JPEG``), which requires every file
name to start with ``<class>_``. Either format is read back by ``ClsImageFolder(subset_file=...)``. For the
paper's ImageNet 1 % / 10 % protocol use SimCLR's published ``1percent.txt`` / ``10percent.txt`` instead.
"""
from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from downstream.datasets import DatasetNotFound, scan_image_folder, stratified_subset


def subset_lines(data_root, split="train", percent=10.0, seed=0, fmt="relative") -> list[str]:
    classes, samples = scan_image_folder(data_root, split)
    picked = stratified_subset(samples, percent, seed)
    base = Path(data_root) / split
    lines = []
    for path, label in picked:
        rel = Path(path).relative_to(base).as_posix()
        if fmt == "simclr":
            name = Path(path).name
            if not name.startswith(classes[label] + "_"):
                raise ValueError(f"--format simclr needs file names '<class>_...'; {rel} does not start with "
                                 f"'{classes[label]}_' (use --format relative)")
            lines.append(name)
        else:
            lines.append(rel)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="the dataset folder (holding <split>/<class>/...)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--percent", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["relative", "simclr"], default="relative")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        lines = subset_lines(args.data_root, args.split, args.percent, args.seed, args.format)
    except (DatasetNotFound, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    per_class = collections.Counter(line.split("/", 1)[0] if "/" in line else line.split("_", 1)[0]
                                    for line in lines)
    print(f"{out}: {len(lines)} images, {len(per_class)} classes "
          f"({min(per_class.values())}-{max(per_class.values())} per class)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
