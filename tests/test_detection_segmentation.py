"""Detection (MMDetection) and segmentation (MMSegmentation) from our checkpoints: configs, init wiring, the
load verification, and a 2-iteration train + val of both smoke models on a tiny generated set.

Nothing is downloaded; checkpoints are zero-step exports made with `pretrain.export.export_random`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mmengine.config import Config  # noqa: E402

import downstream.detection as det  # noqa: E402  (registers ResLayerExtraNorm)
import downstream.segmentation as seg  # noqa: E402
from downstream import mm_common as mc  # noqa: E402
from pretrain.checkpoints import BackboneLoadError, read_backbone_state_dict  # noqa: E402

VOC_DET = "configs/detection/faster-rcnn_r50-c4_24k_voc0712.py"
COCO_DET = "configs/detection/mask-rcnn_r50-c4_1x_coco.py"
VOC_SEG = "configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py"
CITY_SEG = "configs/segmentation/fcn_r50-d8_40k_cityscapes-769x769.py"
SMOKE_DET = "configs/detection/smoke/faster-rcnn_r18-fpn_scenes128.py"
SMOKE_SEG = "configs/segmentation/smoke/fcn_r18-d8_scenes128.py"
TORCHVISION_MEAN, TORCHVISION_STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _cfg(path):
    return Config.fromfile(str(ROOT / path))


def _build(cfg):
    """Build + init the model of a (wired) config the way the Runner does."""
    from mmengine.registry import init_default_scope
    if cfg.get("default_scope") == "mmseg":
        seg._register()
        from mmseg.registry import MODELS
    else:
        det._register()
        from mmdet.registry import MODELS
    init_default_scope(cfg.default_scope)  # an earlier test may have left the other library's scope current
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.fixture(scope="module")
def r50_export(tmp_path_factory):
    """A zero-step R50 export (what `python -m pretrain.export --random --arch resnet50 OUT` writes)."""
    from pretrain.export import export_random
    out = tmp_path_factory.mktemp("r50") / "backbone.pth"
    export_random(out, arch="resnet50", seed=3)
    return out


@pytest.fixture(scope="module")
def r50_reference(r50_export):
    reference, report = read_backbone_state_dict(r50_export, arch="resnet50", stem="standard")
    assert report.format == "export"
    return reference


# ------------------------------------------------------------------------------------------- paper configs
@pytest.mark.parametrize("path", [VOC_DET, COCO_DET])
def test_detection_paper_configs_follow_the_moco_protocol(path):
    cfg = _cfg(path)
    assert cfg.profile == "paper"
    pre = cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (TORCHVISION_MEAN, TORCHVISION_STD, True)
    bb, sh = cfg.model.backbone, cfg.model.roi_head.shared_head
    assert (bb.type, bb.depth, bb.num_stages, bb.style, bb.frozen_stages, bb.norm_eval) == (
        "ResNet", 50, 3, "pytorch", -1, False)
    assert (sh.type, sh.style, sh.norm_eval) == ("ResLayerExtraNorm", "pytorch", False)
    assert bb.norm_cfg.type == sh.norm_cfg.type == "SyncBN"
    assert bb.init_cfg is None and sh.init_cfg is None
    assert mc.find_pretrained(cfg.model) == []  # the base configs' caffe ImageNet inits are gone
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    if path == VOC_DET:
        assert cfg.train_cfg.max_iters == 24000
        assert cfg.param_scheduler[0].end == 100
        assert cfg.param_scheduler[1].milestones == [18000, 22000]
        assert cfg.train_dataloader.dataset.type == "ConcatDataset"
        assert cfg.train_dataloader.dataset.ignore_keys == ["dataset_type"]
        scales = next(t for t in cfg.train_dataloader.dataset.datasets[0].pipeline
                      if t.type == "RandomChoiceResize").scales
        assert (min(s[1] for s in scales), max(s[1] for s in scales)) == (480, 800)
        assert cfg.val_evaluator.type == "VOCMetric" and cfg.val_evaluator.eval_mode == "11points"
        assert [int(t * 100) for t in cfg.val_evaluator.iou_thrs] == list(range(50, 100, 5))
        assert cfg.model.roi_head.bbox_head.num_classes == 20
    else:
        assert cfg.train_cfg.max_iters == 90000
        assert cfg.param_scheduler[1].milestones == [60000, 80000]
        assert cfg.val_evaluator.metric == ["bbox", "segm"]


@pytest.mark.parametrize("path", [VOC_SEG, CITY_SEG])
def test_segmentation_paper_configs_use_a_torchvision_stem(path):
    cfg = _cfg(path)
    assert cfg.model.pretrained is None
    bb = cfg.model.backbone
    assert (bb.type, bb.depth, bb.dilations, bb.strides, bb.contract_dilation) == (
        "ResNet", 50, (1, 1, 2, 4), (1, 2, 1, 1), True)
    assert (bb.style, bb.norm_eval, bb.norm_cfg.type, bb.init_cfg) == ("pytorch", False, "SyncBN", None)
    assert mc.find_pretrained(cfg.model) == []
    pre = cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (TORCHVISION_MEAN, TORCHVISION_STD, True)
    assert mc.arch_of(cfg) == "resnet50"


def test_c4_init_is_wired_into_backbone_and_shared_head_and_verified(tmp_path, r50_export, r50_reference):
    cfg = _cfg(VOC_DET)
    parts = det.init_parts(cfg)
    assert parts == ["backbone", "roi_head.shared_head"]
    resolved = mc.resolve_backbone(str(r50_export), mc.arch_of(cfg), seed=0)
    assert (resolved.method, resolved.backbone_id) == ("random", "random-resnet50-s3")  # from the sidecar
    init_file = mc.write_init_file(resolved.reference, tmp_path)
    mc.wire_init(cfg, parts, init_file)
    for part in (cfg.model.backbone, cfg.model.roi_head.shared_head):
        assert part.init_cfg == dict(type="Pretrained", checkpoint=init_file)
    assert mc.find_pretrained(cfg.model, allowed=init_file) == []
    model = _build(cfg)
    result = mc.verify_loaded(model, r50_reference, parts, det.allowed_extra(cfg))
    bb, sh = result["parts"]["backbone"], result["parts"]["roi_head.shared_head"]
    assert bb["equal"] == bb["tensors"] and bb["not_from_checkpoint"] == 0
    assert sh["equal"] == sum(k.startswith("layer4.") for k in r50_reference)
    assert sh["not_from_checkpoint"] == 5  # the extra BN after res5: weight, bias, running mean/var, counter
    assert bb["equal"] + sh["equal"] == len(r50_reference)

    # only the backbone verified: res5's checkpoint tensors are used by no part -> caught
    with pytest.raises(mc.LoadVerificationError, match="not used by any"):
        mc.verify_loaded(model, r50_reference, ["backbone"])


def test_verification_catches_a_wrong_prefix(tmp_path, r50_reference):
    """An mmselfsup-style `backbone.`-prefixed file given as if already converted: mmengine's strict=False load
    takes nothing from it (warning only); the verification fails loudly."""
    cfg = _cfg(VOC_DET)
    prefixed = tmp_path / "mmselfsup.pth"
    torch.save({"state_dict": {f"backbone.{k}": v for k, v in r50_reference.items()}}, prefixed)
    mc.wire_init(cfg, det.init_parts(cfg), str(prefixed))
    model = _build(cfg)
    with pytest.raises(mc.LoadVerificationError, match=r"backbone\.conv1\.weight: differs from the checkpoint"):
        mc.verify_loaded(model, r50_reference, det.init_parts(cfg), det.allowed_extra(cfg))
    # through the loader (what the runner does) the same file maps correctly
    mapped, report = read_backbone_state_dict(prefixed, arch="resnet50")
    assert report.format == "mmselfsup" and all(torch.equal(mapped[k], r50_reference[k]) for k in mapped)


def test_verification_catches_a_tampered_tensor(tmp_path, r50_reference):
    cfg = _cfg(VOC_DET)
    tampered = dict(r50_reference)
    tampered["layer4.0.conv2.weight"] = r50_reference["layer4.0.conv2.weight"].clone()
    tampered["layer4.0.conv2.weight"][0, 0, 0, 0] += 1e-3
    init_file = mc.write_init_file(tampered, tmp_path)
    mc.wire_init(cfg, det.init_parts(cfg), init_file)
    model = _build(cfg)
    with pytest.raises(mc.LoadVerificationError, match=r"roi_head\.shared_head\.layer4\.0\.conv2\.weight: differs"):
        mc.verify_loaded(model, r50_reference, det.init_parts(cfg), det.allowed_extra(cfg))


def test_leftover_base_pretrained_init_is_refused(tmp_path):
    """mmdet's own C4 config: wiring only the backbone leaves res5 on caffe ImageNet weights -> refused."""
    (tmp_path / "base_det.py").write_text("_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'\n")
    (tmp_path / "base_seg.py").write_text("_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'\n")
    cfg = Config.fromfile(str(tmp_path / "base_det.py"))
    cfg.model.backbone.style = "pytorch"
    with pytest.raises(BackboneLoadError, match=r"roi_head\.shared_head\.init_cfg: Pretrained"):
        mc.wire_init(cfg, ["backbone"], str(tmp_path / "x.pth"))
    seg_cfg = Config.fromfile(str(tmp_path / "base_seg.py"))
    with pytest.raises(BackboneLoadError, match="ResNetV1c.*deep stem"):
        mc.arch_of(seg_cfg)


def test_segmentation_init_is_wired_and_verified(tmp_path, r50_export, r50_reference):
    cfg = _cfg(VOC_SEG)
    resolved = mc.resolve_backbone(str(r50_export), mc.arch_of(cfg), seed=0)
    init_file = mc.write_init_file(resolved.reference, tmp_path)
    mc.wire_init(cfg, ["backbone"], init_file)
    model = _build(cfg)
    result = mc.verify_loaded(model, r50_reference, ["backbone"])
    assert result["parts"]["backbone"]["equal"] == len(r50_reference)


def test_metric_translation():
    voc = {"pascal_voc/mAP": 0.5712345, "pascal_voc/AP50": 0.824, "pascal_voc/AP75": 0.636}
    assert det.translate_metrics(voc) == {"AP": 57.12, "AP50": 82.4, "AP75": 63.6}
    with pytest.raises(KeyError, match="iou_thrs"):
        det.translate_metrics({"pascal_voc/mAP": 0.8, "pascal_voc/AP50": 0.8})
    coco = {"coco/bbox_mAP": 0.402, "coco/bbox_mAP_50": 0.597, "coco/bbox_mAP_75": 0.442, "coco/segm_mAP": 0.361,
            "coco/segm_mAP_50": 0.567, "coco/segm_mAP_75": 0.388}
    assert det.translate_metrics(coco) == {"AP": 40.2, "AP50": 59.7, "AP75": 44.2, "mask_AP": 36.1,
                                           "mask_AP50": 56.7, "mask_AP75": 38.8}
    assert seg.translate_metrics({"aAcc": 90.123, "mIoU": 67.55, "mAcc": 77.0}) == {
        "aAcc": 90.12, "mIoU": 67.55, "mAcc": 77.0}


def test_data_root_keeps_the_dataset_folder_name():
    cfg = _cfg(VOC_DET)
    mc.remap_data_roots(cfg, "/datasets")
    roots = {ds.data_root for _, ds in mc.iter_datasets(cfg)}
    assert roots == {"/datasets/VOCdevkit/"}
    cfg = _cfg(VOC_SEG)
    mc.remap_data_roots(cfg, "/datasets")
    assert {ds.data_root for _, ds in mc.iter_datasets(cfg)} == {"/datasets/VOCdevkit/VOC2012"}
    cfg = _cfg(COCO_DET)
    mc.remap_data_roots(cfg, "/datasets")
    assert cfg.val_evaluator.ann_file == "/datasets/coco/annotations/instances_val2017.json"
    cfg = _cfg(SMOKE_DET)
    mc.remap_data_roots(cfg, "/d")
    assert cfg.train_dataloader.dataset.data_root == "/d/scenes-128/"
    assert cfg.val_evaluator.ann_file == "/d/scenes-128/annotations/instances_val.json"


# ------------------------------------------------------------------------------------------- smoke runs
@pytest.fixture(scope="module")
def scenes_root(tmp_path_factory):
    from pretrain.datasets.scenes import generate
    root = tmp_path_factory.mktemp("data")
    generate(root / "scenes-128", seed=0, size=16, image_size=64, workers=1)  # 12 train, 4 val
    return root


@pytest.fixture(scope="module")
def r18_export(tmp_path_factory):
    from pretrain.export import export_random
    out = tmp_path_factory.mktemp("r18") / "backbone.pth"
    export_random(out, arch="resnet18", seed=5)
    return out


TINY = ["train_cfg.max_iters=2", "train_cfg.val_interval=2", "default_hooks.checkpoint.interval=1",
        "train_dataloader.batch_size=4", "train_dataloader.num_workers=0", "train_dataloader.persistent_workers=False",
        "val_dataloader.batch_size=4", "val_dataloader.num_workers=0", "val_dataloader.persistent_workers=False"]


def test_missing_dataset_and_wrong_num_classes_are_clear(tmp_path, capsys, r18_export, scenes_root):
    rc = det.main([SMOKE_DET, "--checkpoint", str(r18_export), "--data-root", str(tmp_path / "nowhere"),
                   "--work-dir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert rc == 2 and "dataset not found" in err and str(tmp_path / "nowhere" / "scenes-128") in err
    assert "instances_{train,val}.json" in err  # the expected layout
    rc = det.main([SMOKE_DET, "--checkpoint", str(r18_export), "--data-root", str(scenes_root),
                   "--work-dir", str(tmp_path / "w"), "--cfg-options", "model.roi_head.bbox_head.num_classes=20"])
    err = capsys.readouterr().err
    assert rc == 2 and "model.roi_head.bbox_head.num_classes=20" in err and "12 classes" in err
    rc = det.main([SMOKE_DET, "--checkpoint", str(tmp_path / "nope.pth"), "--data-root", str(scenes_root),
                   "--work-dir", str(tmp_path / "w")])
    assert rc == 2 and "no such checkpoint file" in capsys.readouterr().err


def test_smoke_detector_trains_validates_records_and_resumes(tmp_path, r18_export, scenes_root):
    work = tmp_path / "det"
    argv = [SMOKE_DET, "--checkpoint", str(r18_export), "--data-root", str(scenes_root), "--work-dir", str(work),
            "--rows", "scenes:leoclr-det", "--cfg-options", *TINY]
    assert det.main(argv) == 0
    record = json.loads((work / "record.json").read_text())
    assert record["status"] == "finished" and record["stage"] == "detection"
    assert set(record["metrics"]) == {"AP", "AP50", "AP75"}
    assert record["method"] == "random" and record["rows"] == [{"table": "scenes", "row": "leoclr-det"}]
    assert record["inputs"]["checkpoint"]["sha256"] == record["load_report"]["sha256"]
    assert record["load_verification"]["verified"] is True
    assert record["load_verification"]["parts"]["backbone"]["equal"] == 120
    # checkpoints load with weights_only=True (HistoryBuffers converted)
    ckpt = torch.load(work / "iter_2.pth", map_location="cpu", weights_only=True)
    assert ckpt["meta"]["iter"] == 2
    # same command again: skipped; a killed run (status running) resumes from its last checkpoint
    assert det.main(argv) == 0
    record["status"] = "running"
    (work / "record.json").write_text(json.dumps(record))
    assert det.main(argv) == 0
    resumed = json.loads((work / "record.json").read_text())
    assert resumed["status"] == "finished" and resumed["metrics"] == record["metrics"]
    assert resumed["load_verification"]["resumed_at"] == 2


def test_smoke_segmenter_trains_and_validates_from_random(tmp_path, scenes_root):
    work = tmp_path / "seg"
    argv = [SMOKE_SEG, "--checkpoint", "random", "--data-root", str(scenes_root), "--work-dir", str(work),
            "--seed", "1", "--cfg-options", *TINY]
    assert seg.main(argv) == 0
    record = json.loads((work / "record.json").read_text())
    assert record["status"] == "finished" and record["method"] == "random" and record["seed"] == 1
    assert {"mIoU", "aAcc"} <= set(record["metrics"])
    assert record["load_report"]["format"] == "random" and record["load_report"]["seed"] == 1
    assert record["load_verification"]["parts"]["backbone"]["equal"] == 120


def test_default_run_id(tmp_path, monkeypatch, r18_export, scenes_root):
    """runs/<profile>/<stage>/<config stem>--<backbone run_id>-s<seed>: checked without training."""
    monkeypatch.chdir(tmp_path)
    calls = {}

    def fake_prepare(work_dir, cfg_hash, inputs, force=False):
        calls["work_dir"] = str(work_dir)
        return "skip"

    monkeypatch.setattr(mc, "prepare_run_dir", fake_prepare)
    assert det.main([str(ROOT / SMOKE_DET), "--checkpoint", str(r18_export), "--data-root", str(scenes_root)]) == 0
    assert calls["work_dir"] == "runs/smoke/detection/faster-rcnn_r18-fpn_scenes128--random-resnet18-s5-s0"
