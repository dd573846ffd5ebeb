"""Semantic segmentation in MMSegmentation from our backbone checkpoints (a suite extension: the LeOCLR paper
reports no segmentation).

    python -m downstream.segmentation CONFIG --checkpoint CKPT|random [--work-dir D] [--profile P] [--seed S]
        [--data-root R] [--rows table:row,...] [--resume auto|none|FILE] [--force] [--cfg-options k=v ...]
    torchrun --nproc_per_node 4 -m downstream.segmentation CONFIG --checkpoint CKPT --launcher pytorch

The checkpoint goes through `pretrain.checkpoints` (any supported layout, or `random`), is written as
`init_backbone.pth` (torchvision keys) into the run dir and wired into `model.backbone` (a torchvision-style
`ResNet`, not mmseg's `ResNetV1c` deep stem); before the first iteration every backbone tensor is compared with
the checkpoint's. Run dir (default): runs/<profile>/segmentation/<config stem>--<backbone id>-s<seed>/ with
record.json (metrics mIoU, aAcc, mAcc in percent), load_verification.json, curves.csv, logs, checkpoints.
"""
from __future__ import annotations

import sys

from downstream.mm_common import Task, main_guard, run


def _register():
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)


def _datasets():
    from mmseg.registry import DATASETS
    return DATASETS


def translate_metrics(raw: dict) -> dict:
    """mmseg's IoUMetric already reports percent (`mIoU`, `aAcc`, `mAcc`, possibly with a prefix)."""
    out = {}
    for key, value in raw.items():
        name = key.rsplit("/", 1)[-1]
        if name in ("mIoU", "aAcc", "mAcc") and value is not None:
            out[name] = round(float(value), 2)
    missing = [m for m in ("mIoU", "aAcc") if m not in out]
    if missing:
        raise KeyError(f"validation metrics {sorted(raw)} give no {missing}")
    return out


LAYOUTS = {
    "PascalVOCDataset": "R/VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,SegmentationClassAug,"
                        "ImageSets/Segmentation/{train,val,aug}.txt} (SegmentationClassAug and aug.txt from SBD, "
                        "see mmseg's dataset_prepare.md)",
    "CityscapesDataset": "R/cityscapes/{leftImg8bit,gtFine}/{train,val}/<city>/* (gtFine *_labelTrainIds.png from "
                         "mmseg's tools/dataset_converters/cityscapes.py)",
    "BaseSegDataset": "the embedded scenes: R/scenes-128/{train,val}/<class>/*.png and "
                      "R/scenes-128/semantic/{train,val}/<class>/*.png "
                      "(python -m pretrain.datasets.scenes --out R/scenes-128 --image-size 128 ...)",
}

TASK = Task(stage="segmentation", scope="mmseg", register=_register, dataset_registry=_datasets,
            parts=lambda cfg: ["backbone"], allowed_extra=lambda cfg: {}, translate=translate_metrics,
            layouts=LAYOUTS, num_classes_note=" (segmentation counts the background class)")


def main(argv=None) -> int:
    return main_guard(lambda: run(TASK, argv, __doc__))


if __name__ == "__main__":
    sys.exit(main())
