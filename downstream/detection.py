"""Object detection (and instance segmentation) in MMDetection from our backbone checkpoints.

    python -m downstream.detection CONFIG --checkpoint CKPT|random [--work-dir D] [--profile P] [--seed S]
        [--data-root R] [--rows table:row,...] [--resume auto|none|FILE] [--force] [--cfg-options k=v ...]
    torchrun --nproc_per_node 8 -m downstream.detection CONFIG --checkpoint CKPT --launcher pytorch

CKPT is anything `pretrain.checkpoints` reads (our `backbone.pth` export, a suite pretraining checkpoint, an
official MoCo checkpoint, an mmselfsup/solo-learn checkpoint, a torchvision state_dict); `random` is a seeded
torchvision random init. The checkpoint is verified and written as `init_backbone.pth` (torchvision keys) into
the run dir, wired into `model.backbone` and, for C4 detectors, `model.roi_head.shared_head` (res5 owns
`layer4.*`); before the first iteration every one of those tensors is compared with the checkpoint's.

Run dir (default): runs/<profile>/detection/<config stem>--<backbone run_id | random | file stem>-s<seed>/
with record.json (metrics AP, AP50, AP75 in percent; Mask R-CNN adds mask_AP, mask_AP50, mask_AP75),
load_verification.json, curves.csv, mmdet logs and checkpoints. Rerunning resumes / skips (contracts.md §3).

Importing this module registers `ResLayerExtraNorm` in MMDetection's MODELS and `TrainOnDifficultBoxes` in its
TRANSFORMS (configs list the module in custom_imports).
"""
from __future__ import annotations

import sys

import numpy as np

from mmcv.cnn import build_norm_layer
from mmcv.transforms import BaseTransform
from mmdet.models.backbones import ResNet
from mmdet.models.roi_heads.shared_heads import ResLayer
from mmdet.registry import MODELS, TRANSFORMS

from downstream.mm_common import Task, main_guard, percent, run

EXTRA_NORM = "extra_norm"


@MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """The C4 shared head (res5) followed by one more norm layer on its output: the "extra BN after res5" of the
    MoCo detection protocol (detectron2's Res5ROIHeadsExtraNorm). The norm is new (weight 1, bias 0), not part of
    any checkpoint; everything else is `ResLayer`'s, so res5 keeps the `layer4.*` names of the trunk."""

    def __init__(self, depth, stage=3, **kwargs):
        super().__init__(depth, stage=stage, **kwargs)
        block, _ = ResNet.arch_settings[depth]
        channels = 64 * 2**stage * block.expansion
        _, norm = build_norm_layer(self.norm_cfg, channels)
        self.add_module(EXTRA_NORM, norm)

    def forward(self, x):
        return getattr(self, EXTRA_NORM)(super().forward(x))


@TRANSFORMS.register_module()
class TrainOnDifficultBoxes(BaseTransform):
    """Makes VOC's 'difficult' boxes training targets, as detectron2 does (``data/datasets/pascal_voc.py``: "We
    include 'difficult' samples in training"; only its evaluator skips them).

    mmdet's VOCDataset sets ``ignore_flag=1`` on every difficult object and `PackDetInputs` moves flagged boxes to
    ``ignored_instances``, which the detectors' losses never see. Placed after ``LoadAnnotations`` in the training
    pipeline only, this clears ``gt_ignore_flags`` so every box is a target; the test pipeline keeps the flags,
    so VOCMetric still ignores difficult boxes. (A VOCDataset with ``bbox_min_size`` also flags small boxes;
    the suite's configs leave it at None, so the only flags cleared are the difficult ones.)"""

    def transform(self, results: dict) -> dict:
        if "gt_ignore_flags" in results:
            results["gt_ignore_flags"] = np.zeros_like(results["gt_ignore_flags"], dtype=bool)
        return results


def _register():
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)


def _datasets():
    from mmdet.registry import DATASETS
    return DATASETS


def init_parts(cfg) -> list[str]:
    """`backbone`, plus `roi_head.shared_head` when a C4 head owns res5."""
    parts = ["backbone"]
    roi_head = cfg.model.get("roi_head") or {}
    if roi_head.get("shared_head"):
        parts.append("roi_head.shared_head")
    return parts


def allowed_extra(cfg) -> dict:
    shared = (cfg.model.get("roi_head") or {}).get("shared_head") or {}
    return {"roi_head.shared_head": (EXTRA_NORM + ".",)} if shared.get("type") == "ResLayerExtraNorm" else {}


_KEYS = {  # mmdet metric -> contract name (fractions in mmdet, percent in our records)
    "pascal_voc/mAP": "AP", "pascal_voc/AP50": "AP50", "pascal_voc/AP75": "AP75",
    "coco/bbox_mAP": "AP", "coco/bbox_mAP_50": "AP50", "coco/bbox_mAP_75": "AP75",
    "coco/segm_mAP": "mask_AP", "coco/segm_mAP_50": "mask_AP50", "coco/segm_mAP_75": "mask_AP75",
}


def translate_metrics(raw: dict) -> dict:
    """AP (mean over IoU 0.50:0.95), AP50, AP75 in percent, from VOCMetric (needs iou_thrs 0.50:0.05:0.95) or
    CocoMetric. Missing AP50/AP75 is an error: a VOCMetric with its default iou_thrs=[0.5] reports only AP50."""
    out = {name: percent(raw[key]) for key, name in _KEYS.items() if key in raw and raw[key] is not None}
    if "pascal_voc/mAP" in raw and "pascal_voc/AP75" not in raw:
        raise KeyError("VOCMetric reported no AP75: set val_evaluator.iou_thrs to [0.5, 0.55, ..., 0.95] so that "
                       "AP (mean over 0.50:0.95), AP50 and AP75 are all measured")
    missing = [m for m in ("AP", "AP50", "AP75") if m not in out]
    if missing:
        raise KeyError(f"validation metrics {sorted(raw)} give no {missing}")
    return out


LAYOUTS = {
    "VOCDataset": "R/VOCdevkit/VOC2007/{Annotations,ImageSets/Main/{trainval,test}.txt,JPEGImages} and "
                  "R/VOCdevkit/VOC2012/{Annotations,ImageSets/Main/trainval.txt,JPEGImages}",
    "CocoDataset": "R/coco/annotations/instances_{train,val}2017.json, R/coco/{train,val}2017/*.jpg; the embedded "
                   "scenes: R/scenes-128/annotations/instances_{train,val}.json with images under R/scenes-128/ "
                   "(python -m pretrain.datasets.scenes --out R/scenes-128 --image-size 128 ...)",
}

TASK = Task(stage="detection", scope="mmdet", register=_register, dataset_registry=_datasets, parts=init_parts,
            allowed_extra=allowed_extra, translate=translate_metrics, layouts=LAYOUTS)


def main(argv=None) -> int:
    return main_guard(lambda: run(TASK, argv, __doc__))


if __name__ == "__main__":
    sys.exit(main())
