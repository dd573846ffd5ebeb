"""Protocol fidelity (issue #13, shared/reviews/2026-11-27-fidelity.md): each downstream protocol matches the
engine its published numbers came from. Configs are resolved with mmengine's Config.fromfile; inputs are tiny
and generated; no network."""
from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from torch import nn

from downstream.probe import COARSE_GRID, KORNBLITH_GRID, classification_metrics, fit_probe

REPO = Path(__file__).resolve().parents[1]
VOC_DET = REPO / "configs/detection/faster-rcnn_r50-c4_24k_voc0712.py"
COCO_DET = REPO / "configs/detection/mask-rcnn_r50-c4_1x_coco.py"
TRANSFER = ["cifar10", "cifar100", "flowers102", "pets", "cars", "aircraft", "dtd", "caltech101", "food101"]
MEAN_PER_CLASS = {"pets", "flowers102", "aircraft", "caltech101"}  # Kornblith et al. 2019's metric there


def table(name: str) -> dict:
    return runpy.run_path(str(REPO / f"configs/tables/{name}.py"))


# ================================================================================================ 5. the probe
def blobs(n_per_class, centres, rng, scale=0.3):
    x = np.concatenate([c + scale * rng.standard_normal((n_per_class, len(c))) for c in centres])
    y = np.repeat(np.arange(len(centres)), n_per_class)
    return x, y


def test_probe_separates_a_separable_set_and_takes_tensors():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 4.0
    (tx, ty), (vx, vy), (sx, sy) = (blobs(n, centres, rng) for n in (20, 5, 10))
    result = fit_probe(torch.from_numpy(tx).float(), torch.from_numpy(ty), vx, vy, sx, sy, grid=COARSE_GRID)
    assert result["top1"] == 100.0 and result["mean_per_class_acc"] == 100.0
    assert result["C"] in COARSE_GRID and len(result["val_scores"]) == len(COARSE_GRID)
    assert (result["n_train"], result["n_val"], result["n_test"]) == (60, 15, 30)


def test_probe_grid_is_kornblith_and_C_is_chosen_on_validation():
    # Kornblith et al.: 45 log-spaced L2 strengths 1e-6..1e5; sklearn's C is the inverse
    assert len(KORNBLITH_GRID) == 45
    assert min(KORNBLITH_GRID) == pytest.approx(1e-5) and max(KORNBLITH_GRID) == pytest.approx(1e6)
    rng = np.random.default_rng(1)
    # one informative feature, many noise features, few training samples: the validation split decides C
    def data(n):
        y = rng.integers(0, 2, n)
        x = rng.standard_normal((n, 40))
        x[:, 0] += 1.5 * (2 * y - 1)
        return x, y
    result = fit_probe(*data(30), *data(200), *data(200), grid=COARSE_GRID)
    scores = [s for _, s in result["val_scores"]]
    assert result["C"] == result["val_scores"][int(np.argmax(scores))][0]
    assert result["val_best"] == max(scores)


def test_probe_refits_on_train_plus_val():
    # class 2 exists only in the validation split: only a refit on train + val can predict it on test
    rng = np.random.default_rng(2)
    centres = np.eye(3, 6) * 5.0
    tx, ty = blobs(15, centres[:2], rng)
    vx, vy = blobs(6, centres, rng)
    sx, sy = blobs(10, centres, rng)
    result = fit_probe(tx, ty, vx, vy, sx, sy, grid=[1.0])  # one C: this test is about the refit only
    assert result["val_best"] < 100.0 and result["top1"] == 100.0


def test_mean_per_class_accuracy():
    metrics = classification_metrics([0, 0, 0, 1], [0, 0, 0, 0])
    assert metrics == {"top1": 75.0, "mean_per_class_acc": 50.0}
    from downstream.classifier import ClsAccuracy
    results = [(torch.tensor([0, 1]), 0)] * 3 + [(torch.tensor([0, 1]), 1)]
    assert ClsAccuracy().compute_metrics(results)["mean_per_class_acc"] == pytest.approx(50.0)


# ================================================================================================ 5. transfer configs
@pytest.mark.parametrize("name", TRANSFER)
def test_transfer_linear_configs_are_kornblith_probes(name):
    cfg = Config.fromfile(str(REPO / f"configs/transfer/linear_r50_{name}.py"))
    probe = cfg.probe
    assert cfg.stage == "transfer" and cfg.model.num_classes == 0 and cfg.model.frozen
    assert probe.grid == "kornblith" and not probe.standardize
    assert probe.select_by == ("mean_per_class_acc" if name in MEAN_PER_CLASS else "top1")
    for split in ("train", "test"):
        assert probe[split].pipeline == dict(kind="eval", size=224, resize=224, interpolation="bicubic")
    if name.startswith("cifar"):  # no official validation split: held out of train
        assert probe.val is None and probe.val_holdout_percent == 10 and probe.val_holdout_seed == 0
        assert probe.train.split == "train" and probe.test.split == "test"
    else:  # contracts.md section 5.1: <name>/{train,val,test}/<class>/
        assert [probe[s].split for s in ("train", "val", "test")] == ["train", "val", "test"]
        assert probe.val.pipeline == probe.train.pipeline
    assert "mean_per_class_acc" in table("transfer")["metrics"]


def test_feature_pipeline_is_a_bicubic_shorter_side_resize_and_centre_crop():
    from torchvision import transforms as T

    from downstream.datasets import build_pipeline

    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 90, 3), dtype=np.uint8))
    ours = build_pipeline(kind="eval", size=32, resize=32, interpolation="bicubic")(image)
    bicubic = T.Compose([T.Resize(32, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(32),
                         T.PILToTensor()])(image)
    assert ours.shape == (3, 32, 32) and torch.equal(ours, bicubic)
    assert not torch.equal(build_pipeline(kind="eval", size=32, resize=32)(image), bicubic)  # default: bilinear


def make_split_folder(root: Path, sizes=(("train", 8), ("val", 4), ("test", 6)), size=16, seed=0):
    colours = {"blue": (30, 40, 210), "green": (40, 190, 50), "red": (210, 40, 30)}
    rng = np.random.default_rng(seed)
    for split, n in sizes:
        for name, rgb in colours.items():
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                pixels = np.clip(np.array(rgb) + rng.integers(-40, 41, (size, size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{name}_{i:03d}.png")


def test_transfer_probe_runs_through_downstream_linear(tmp_path):
    from downstream import linear

    make_split_folder(tmp_path / "data" / "pets")
    work = tmp_path / "run"
    options = ["model.arch=resnet18", "probe.grid=coarse", "probe.batch_size=16", "probe.num_workers=0",
               "probe.bn_samples=12", *(f"probe.{s}.pipeline.{k}=32" for s in ("train", "val", "test")
                                        for k in ("size", "resize"))]
    argv = [str(REPO / "configs/transfer/linear_r50_pets.py"), "--checkpoint", "random", "--data-root",
            str(tmp_path / "data"), "--work-dir", str(work), "--profile", "smoke", "--cfg-options", *options]
    assert linear.main(argv) == 0
    record = json.loads((work / "record.json").read_text())
    assert record["status"] == "finished" and record["protocol"] == "logistic-probe"
    assert set(record["metrics"]) == {"top1", "mean_per_class_acc"}
    assert record["metrics"]["mean_per_class_acc"] > 80.0  # solid colours, chance 33 %
    assert record["probe"]["select_by"] == "mean_per_class_acc" and record["probe"]["n_val"] == 12
    assert any("re-estimated" in note for note in record["notes"])


def test_held_out_split_follows_the_prepare_rule():
    from downstream.classification import held_out_split

    labels = [0] * 20 + [1] * 10
    train, val = held_out_split(labels, 10, 0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(30))
    assert [labels[i] for i in val].count(0) == 2 and [labels[i] for i in val].count(1) == 1
    assert np.array_equal(val, held_out_split(labels, 10, 0)[1])


# ================================================================================================ 1. detection wd
@pytest.mark.parametrize("path", [VOC_DET, COCO_DET], ids=lambda p: p.stem)
def test_detection_norm_layers_have_no_weight_decay(path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    register_all_modules(init_default_scope=False)
    init_default_scope("mmdet")
    cfg = Config.fromfile(str(path))
    assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0.0
    model = MODELS.build(cfg.model)
    groups = build_optim_wrapper(model, cfg.optim_wrapper).optimizer.param_groups
    decay = {id(p): g["weight_decay"] for g in groups for p in g["params"]}
    norms = {name: m for name, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)}
    assert any(n.startswith("backbone.") for n in norms) and "roi_head.shared_head.extra_norm" in norms
    assert any(n.startswith("roi_head.shared_head.layer4") for n in norms)
    for name, module in norms.items():
        for p in module.parameters():
            assert decay[id(p)] == 0.0, name
    assert decay[id(model.backbone.conv1.weight)] == pytest.approx(1e-4)


# ================================================================================================ 2. VOC difficult
VOC_XML = """<annotation><filename>{name}.jpg</filename><size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>dog</name><difficult>0</difficult><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
<object><name>cat</name><difficult>1</difficult><bndbox><xmin>35</xmin><ymin>10</ymin><xmax>60</xmax><ymax>45</ymax></bndbox></object>
</annotation>"""


def make_voc(root: Path) -> None:
    voc = root / "VOC2007"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((48, 64, 3), 128, np.uint8)).save(voc / "JPEGImages/000001.jpg")
    (voc / "Annotations/000001.xml").write_text(VOC_XML.format(name="000001"))
    for split in ("trainval", "test"):
        (voc / f"ImageSets/Main/{split}.txt").write_text("000001\n")


def test_voc_difficult_boxes_are_training_targets_and_ignored_in_evaluation(tmp_path):
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.registry import init_default_scope

    register_all_modules(init_default_scope=False)
    init_default_scope("mmdet")
    make_voc(tmp_path / "VOCdevkit")
    cfg = Config.fromfile(str(VOC_DET))
    data_root = str(tmp_path / "VOCdevkit") + "/"
    train_cfg = dict(cfg.train_dataloader.dataset.datasets[0], data_root=data_root)
    test_cfg = dict(cfg.val_dataloader.dataset, data_root=data_root)
    sample = DATASETS.build(train_cfg)[0]["data_samples"]
    assert len(sample.gt_instances) == 2 and len(sample.ignored_instances) == 0  # both boxes are targets
    assert sorted(sample.gt_instances.labels.tolist()) == [7, 11]  # cat, dog
    sample = DATASETS.build(test_cfg)[0]["data_samples"]
    assert len(sample.gt_instances) == 1 and len(sample.ignored_instances) == 1  # evaluation ignores difficult
    assert cfg.val_evaluator.type == "VOCMetric"  # which skips ignored (difficult) boxes


# ================================================================================================ 3. precise BN
class TinyDetector(nn.Module):
    """Stands in for an mmdet/mmseg model: data_preprocessor + forward(mode='loss')."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3, momentum=0.1)
        self.frozen = nn.BatchNorm2d(3)
        self.modes = []

    def data_preprocessor(self, batch, training):
        assert training
        return {"inputs": batch, "data_samples": None}

    def forward(self, inputs, data_samples=None, mode="tensor"):
        self.modes.append(mode)
        return self.frozen(self.bn(inputs))

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()  # as norm_eval=True: statistics frozen
        return self


def test_precise_bn_averages_batch_statistics_over_training_batches():
    from downstream.precise_bn import PreciseBNHook

    torch.manual_seed(0)
    batches = [torch.randn(4, 3, 5, 5) * (i + 1) + i for i in range(6)]
    model = TinyDetector().eval()
    frozen_before = model.frozen.running_mean.clone()
    logs = []
    runner = SimpleNamespace(model=model, iter=100, seed=0, cfg=SimpleNamespace(train_dataloader=dict(batch_size=4)),
                             build_dataloader=lambda cfg, seed: batches,
                             logger=SimpleNamespace(info=logs.append))
    hook = PreciseBNHook(num_iters=4)
    hook.before_val_epoch(runner)
    used = batches[:4]
    mean = torch.stack([b.mean(dim=(0, 2, 3)) for b in used]).mean(0)
    var = torch.stack([b.transpose(0, 1).reshape(3, -1).var(dim=1, unbiased=True) for b in used]).mean(0)
    assert torch.allclose(model.bn.running_mean, mean, atol=1e-5)
    assert torch.allclose(model.bn.running_var, var, atol=1e-4)
    assert model.bn.momentum == 0.1 and not model.training  # restored; eval mode for the validation
    assert torch.equal(model.frozen.running_mean, frozen_before)  # norm_eval layers untouched
    assert model.modes == ["loss"] * 4 and hook.history == [{"iter": 100, "batches": 4}]
    hook.before_val_epoch(runner)  # same weights: nothing to redo
    assert len(model.modes) == 4


@pytest.mark.parametrize("path", [VOC_DET, COCO_DET], ids=lambda p: p.stem)
def test_precise_bn_is_on_in_the_detection_paper_configs(path):
    cfg = Config.fromfile(str(path))
    hooks = [h for h in cfg.custom_hooks if h["type"] == "PreciseBNHook"]
    assert hooks == [dict(type="PreciseBNHook", num_iters=200)]  # detectron2 TEST.PRECISE_BN.NUM_ITER
    assert "downstream.precise_bn" in cfg.custom_imports.imports


# ================================================================================================ 4. STL-10
@pytest.mark.parametrize("method", ["leoclr", "mocov2"])
def test_stl10_pretraining_uses_the_unlabeled_split(method):
    cfg = Config.fromfile(str(REPO / f"configs/pretrain/{method}_r50_8xb32-coslr-800e_stl10.py"))
    assert cfg.train_dataloader.dataset.split == "unlabeled" == cfg.pretrain_split
    note = table("small_datasets")["note"]
    assert "unlabeled + train" not in note and "unlabeled split" in note


# ================================================================================================ 6. kNN
def test_knn_table_protocol_uses_the_full_bank_and_the_literature_k_and_t():
    cfg = Config.fromfile(str(REPO / "configs/knn/knn_r50_in1k.py"))
    assert (cfg.test_evaluator.k, cfg.test_evaluator.temperature) == (20, 0.07)
    assert not cfg.test_cfg.bank.get("max_samples") and cfg.test_cfg.bank.split == "train"
    import pretrain.knn
    assert "k = 200, T = 0.1" in pretrain.knn.__doc__ and "k = 20, T = 0.07" in pretrain.knn.__doc__


# ================================================================================================ 7. linear best/last
def test_linear_paper_protocol_validates_every_epoch_and_reports_best_and_last():
    from downstream.classification import report_metrics

    cfg = Config.fromfile(str(REPO / "configs/linear/linear_r50_8xb32-steplr-100e_in1k.py"))
    assert cfg.train_cfg.val_interval == 1 and cfg.report_top1 == "best"
    history = [{"epoch": e, "step": 10 * e, "metrics": {"top1": t, "top5": t + 10, "mean_per_class_acc": t - 1}}
               for e, t in ((1, 50.0), (2, 70.0), (3, 70.0), (4, 65.0))]
    best, which = report_metrics(history, "best")
    assert best == {"top1": 70.0, "top5": 80.0, "mean_per_class_acc": 69.0, "top1_last": 65.0}
    assert which["epoch"] == 2  # the first of equal bests, as `best_acc1 = max(acc1, best_acc1)` keeps it
    last, _ = report_metrics(history, "last")
    assert last["top1"] == last["top1_last"] == 65.0
    assert "best" in table("in1k_linear")["note"] and "top1_last" in table("in1k_linear")["note"]


# ================================================================================================ 8. wording
def test_table_notes_and_citations_say_what_is_measured():
    voc_note = table("voc_det")["note"]
    assert "COCO-style" not in voc_note and "11-point AP averaged over IoU 0.50:0.05:0.95" in voc_note
    head = COCO_DET.read_text().split("_base_")[0]
    assert "mmselfsup" in head and "coco_R_50_C4_2x_moco.yaml" in head
    assert "moco repo detection/configs/\n# coco_R_50_C4_1x_moco.yaml" not in head
    semisup = table("in1k_semisup")["note"]
    assert "SwAV-style" in semisup and "not comparable" in semisup
