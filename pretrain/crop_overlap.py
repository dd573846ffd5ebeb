"""The paper's premise, measured: how often a positive pair shares no object.

    python -m pretrain.crop_overlap --coco data/scenes-64/annotations/instances_train.json --images data/scenes-64
    python -m pretrain.crop_overlap --coco coco/annotations/instances_val2017.json --images coco/val2017 \
        --crop-scale 0.2 1.0 --pairs 32 --out runs/diagnostic/crop_overlap-coco-val2017

For every annotated image it draws `--pairs` positive pairs with the crops the training views sample
(`pretrain.tensor_views.sample_crop_boxes`, torchvision's RandomResizedCrop): MoCo-v2 pairs two crops, LeOCLR pairs
the original (the whole image; with `--original-mode resize_center_crop` its centred square) with one crop.
A region *holds* an object when at least `--hold` (20 %) of the object's mask area lies inside it (its box
area when the annotation has no mask); a pair *shares* an object when both regions hold it.

Writes, in `--out`: `crop_overlap.csv` (method, bin of the image's largest-object area fraction: < 5 %, 5-20 %,
≥ 20 %, or all; images, pairs, percent of pairs sharing no object), `crop_overlap.png`, and `record.json` (stage
`diagnostic`). Images without objects (crowd regions are not objects here) are counted and left out. No training:
seconds per thousand images.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from pretrain.tensor_views import DEFAULT_RATIO, UNIFORMS_PER_VIEW, sample_crop_boxes

BINS = ((0.0, 0.05, "<5%"), (0.05, 0.20, "5-20%"), (0.20, 1.01, ">=20%"))
METHODS = ("mocov2", "leoclr")


class ObjectAreas:
    """The objects of one image, answering "how much of each object lies inside these regions".

    `masks`: per object an H×W bool mask, or None to use its `box` (x, y, w, h) as its area."""

    def __init__(self, height: int, width: int, boxes, masks=None):
        self.height, self.width = height, width
        self.boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        masks = masks if masks is not None else [None] * len(self.boxes)
        # one summed-area table per masked object: area inside any rectangle in four lookups
        self.tables = [None if m is None else np.pad(np.asarray(m, dtype=np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
                       for m in masks]
        self.areas = np.array([b[2] * b[3] if t is None else t[-1, -1] for b, t in zip(self.boxes, self.tables)],
                              dtype=np.float64)

    def __len__(self):
        return len(self.boxes)

    def inside_fraction(self, regions: np.ndarray) -> np.ndarray:
        """regions: R × (top, left, height, width) in pixels -> R × objects fraction of each object inside."""
        top, left, h, w = (regions[:, i].astype(np.int64) for i in range(4))
        out = np.zeros((len(regions), len(self)))
        for j, (box, table, area) in enumerate(zip(self.boxes, self.tables, self.areas)):
            if area <= 0:
                continue
            if table is None:
                x, y, bw, bh = box
                dx = np.clip(np.minimum(left + w, x + bw) - np.maximum(left, x), 0, None)
                dy = np.clip(np.minimum(top + h, y + bh) - np.maximum(top, y), 0, None)
                out[:, j] = dx * dy / area
            else:
                bottom, right = top + h, left + w
                out[:, j] = (table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]) / area
        return out

    def largest_fraction(self) -> float:
        return float(self.areas.max() / (self.height * self.width)) if len(self) else 0.0


def original_region(height: int, width: int, mode: str) -> np.ndarray:
    """The part of the image LeOCLR's original view shows: all of it, or its centred square."""
    if mode == "resize":
        return np.array([0, 0, height, width])
    side = min(height, width)
    return np.array([(height - side) // 2, (width - side) // 2, side, side])


def no_shared_object(objects: ObjectAreas, regions_a: np.ndarray, regions_b: np.ndarray, hold=0.2) -> np.ndarray:
    """Per pair (row), True when no object is held by both regions."""
    held_a = objects.inside_fraction(regions_a) >= hold
    held_b = objects.inside_fraction(regions_b) >= hold
    return ~(held_a & held_b).any(axis=1)


def image_pairs(objects: ObjectAreas, rng: np.random.Generator, pairs: int, crop_scale, original_mode="resize",
                hold=0.2) -> dict:
    """{method: per-pair no-shared-object flags} for one image."""
    h, w = objects.height, objects.width
    crops = [sample_crop_boxes(rng.random((pairs, UNIFORMS_PER_VIEW)), h, w, crop_scale, DEFAULT_RATIO)
             for _ in range(2)]
    whole = np.broadcast_to(original_region(h, w, original_mode), (pairs, 4))
    return {"mocov2": no_shared_object(objects, crops[0], crops[1], hold),
            "leoclr": no_shared_object(objects, whole, crops[1], hold)}


# ---- reading annotations --------------------------------------------------------------------------------------
def _decode_mask(segmentation, height: int, width: int):
    from pycocotools import mask as mask_utils
    if isinstance(segmentation, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation.get("counts"), list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = segmentation
    return mask_utils.decode(rle).astype(bool)


def read_coco(path: Path, use_masks: bool = True):
    """Yield (image id, file name, ObjectAreas) per annotated image of a COCO instances json."""
    try:
        coco = json.loads(Path(path).read_text())
        images, annotations = coco["images"], coco["annotations"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise SystemExit(f"{path}: not a readable COCO instances json ({err})") from err
    by_image: dict[int, list] = {}
    for ann in annotations:
        if not ann.get("iscrowd", 0):
            by_image.setdefault(ann["image_id"], []).append(ann)
    for image in sorted(images, key=lambda im: im["id"]):
        anns = by_image.get(image["id"], [])
        h, w = int(image["height"]), int(image["width"])
        masks = None
        if use_masks and anns and all(a.get("segmentation") for a in anns):
            masks = [_decode_mask(a["segmentation"], h, w) for a in anns]
        yield image["id"], image["file_name"], ObjectAreas(h, w, [a["bbox"] for a in anns], masks)


# ---- the measurement ------------------------------------------------------------------------------------------
def measure(items, pairs=32, crop_scale=(0.2, 1.0), original_mode="resize", hold=0.2, seed=0) -> dict:
    """Aggregate over images: {(method, bin label): [images, pairs, pairs sharing no object]}."""
    counts = {(m, label): [0, 0, 0] for m in METHODS for label in [*(b[2] for b in BINS), "all"]}
    skipped = 0
    for image_id, _, objects in items:
        if not len(objects):
            skipped += 1
            continue
        rng = np.random.default_rng([seed, int(image_id)])  # per image: independent of order and subsets
        flags = image_pairs(objects, rng, pairs, crop_scale, original_mode, hold)
        frac = objects.largest_fraction()
        label = next(lab for low, high, lab in BINS if low <= frac < high)
        for method, none_shared in flags.items():
            for key in ((method, label), (method, "all")):
                counts[key][0] += 1
                counts[key][1] += len(none_shared)
                counts[key][2] += int(none_shared.sum())
    return {"counts": counts, "images_without_objects": skipped}


def write_outputs(result: dict, out: Path, title: str) -> list[dict]:
    rows = [{"method": method, "bin": label, "images": n_img, "pairs": n_pairs,
             "no_shared_object_pct": round(100.0 * none / n_pairs, 2) if n_pairs else ""}
            for (method, label), (n_img, n_pairs, none) in result["counts"].items()]
    with open(out / "crop_overlap.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [*(b[2] for b in BINS), "all"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for offset, method in ((-0.2, "mocov2"), (0.2, "leoclr")):
        values = [next((r["no_shared_object_pct"] or 0) for r in rows if r["method"] == method and r["bin"] == lab)
                  for lab in labels]
        ax.bar(np.arange(len(labels)) + offset, values, width=0.4,
               label={"mocov2": "MoCo-v2 (crop, crop)", "leoclr": "LeOCLR (original, crop)"}[method])
    counts = {lab: result["counts"][("mocov2", lab)][0] for lab in labels}
    ax.set_xticks(range(len(labels)), [f"{lab}\n({counts[lab]} images)" for lab in labels])
    ax.set_xlabel("largest object's share of the image")
    ax.set_ylabel("pairs sharing no object (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "crop_overlap.png", dpi=120)
    plt.close(fig)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coco", required=True, help="COCO instances json (boxes; masks used when present)")
    parser.add_argument("--images", required=True, help="the images folder the json's file names are relative to")
    parser.add_argument("--crop-scale", nargs=2, type=float, default=(0.2, 1.0), metavar=("LOW", "HIGH"),
                        help="RandomResizedCrop scale (default MoCo-v2's 0.2 1.0)")
    parser.add_argument("--original-mode", default="resize", choices=["resize", "resize_center_crop"])
    parser.add_argument("--pairs", type=int, default=32, help="positive pairs drawn per image and method")
    parser.add_argument("--hold", type=float, default=0.2, help="share of an object's area a region must hold")
    parser.add_argument("--boxes-only", action="store_true", help="ignore masks, use boxes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--force", action="store_true", help="rerun a finished measurement (moved aside, not deleted)")
    parser.add_argument("--out", help="output folder (default runs/<profile>/diagnostic/crop_overlap-<dataset>-<json stem>-s<seed>)")
    args = parser.parse_args(argv)

    from common.records import (SCHEMA, code_files, code_identity, dataset_input, environment, git_state, hardware,
                                now, portable_path, prepare_run_dir, sha256_file, sha256_text, write_record)
    coco, images = Path(args.coco), Path(args.images)
    if not coco.is_file():
        raise SystemExit(f"--coco {coco}: no such file")
    if not images.is_dir():
        raise SystemExit(f"--images {images}: no such folder")
    dataset = coco.parent.parent.name if coco.parent.name == "annotations" else coco.parent.name
    run_id = f"crop_overlap-{dataset}-{coco.stem}-s{args.seed}"
    out = Path(args.out or Path("runs") / args.profile / "diagnostic" / run_id)
    settings = {"crop_scale": list(args.crop_scale), "crop_ratio": list(DEFAULT_RATIO), "pairs": args.pairs,
                "hold": args.hold, "original_mode": args.original_mode, "masks": not args.boxes_only}
    inputs = {"annotations": {"path": portable_path(coco), "sha256": sha256_file(coco)},
              "dataset": dataset_input(images)}
    # a finished measurement is skipped, or refused when made from other settings or annotations (--force)
    if prepare_run_dir(out, sha256_text(json.dumps(settings, sort_keys=True)), inputs, args.force) == "skip":
        print(f"{out}: finished with the same settings and annotations; skipped (--force reruns it)")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    started, t0 = now(), time.time()
    items = list(read_coco(coco, use_masks=not args.boxes_only))
    missing = [name for _, name, _ in items[:20] if not (images / name).is_file()]
    if missing:
        raise SystemExit(f"--images {images}: the json's images are not there (e.g. {missing[0]})")
    result = measure(items, args.pairs, tuple(args.crop_scale), args.original_mode, args.hold, args.seed)
    wall = time.time() - t0
    rows = write_outputs(result, out, f"{dataset}/{coco.name}: crop scale {tuple(args.crop_scale)}, {args.pairs} pairs/image")
    metrics = {f"no_shared_object_{r['method']}_{r['bin']}": r["no_shared_object_pct"] for r in rows
               if r["no_shared_object_pct"] != ""}
    record = {
        "schema": SCHEMA, "stage": "diagnostic", "profile": args.profile, "run_id": run_id,
        "config": None, "config_sha256": sha256_text(json.dumps(settings, sort_keys=True)), "settings": settings,
        **git_state(), "code": code_identity(code_files()), "environment": environment(), "seed": args.seed,
        "inputs": inputs,
        "method": None,  # both methods' views are measured; metrics are keyed by method
        "metrics": metrics, "images": len(items), "images_without_objects": result["images_without_objects"],
        "rows": [], "curves": None, "outputs": {"csv": "crop_overlap.csv", "figure": "crop_overlap.png"},
        "hardware": hardware(), "started": started, "finished": now(), "wall_s": round(wall, 1),
        "status": "finished", "error": None,
    }
    write_record(out, record)
    for r in rows:
        print(f"{r['method']:7s} {r['bin']:6s} {r['images']:6d} images  {r['no_shared_object_pct']}% of pairs share no object")
    print(f"{len(items)} images in {wall:.1f} s → {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
