"""Classification downstream (downstream.linear / finetune / knn / subsets / datasets) on tiny generated data:
a solid-colour ImageFolder (3 classes, 16 px) that any backbone separates, fake CIFAR / STL-10 files, tiny
ResNet-18 runs through mmengine's Runner. No network."""
from __future__ import annotations

import csv
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from PIL import Image

from downstream import finetune, knn, linear, subsets
from downstream.classification import backbone_identity
from downstream.classifier import ResNetClassifier
from downstream.frozen_backbone import BackboneChangedError, backbone_fingerprint, verify_frozen_backbone
from downstream.datasets import (CifarDataset, ClsImageFolder, DatasetNotFound, STL10Dataset, read_subset_file,
                                 stratified_subset)
from pretrain.checkpoints import save_backbone
from pretrain.resnet_trunk import build_resnet

REPO = Path(__file__).resolve().parents[1]
LINEAR = str(REPO / "configs/linear/smoke/linear_r18_scenes64.py")
SEMISUP = str(REPO / "configs/semisup/smoke/finetune_r18_10pct_scenes64.py")
KNN = str(REPO / "configs/knn/smoke/knn_r18_scenes64.py")
COLOURS = {"blue": (30, 40, 210), "green": (40, 190, 50), "red": (210, 40, 30)}
TINY = ["model.num_classes=3", "train_dataloader.batch_size=8", "train_dataloader.num_workers=0",
        "val_dataloader.batch_size=16", "val_dataloader.num_workers=0",
        "train_dataloader.dataset.pipeline.size=32", "val_dataloader.dataset.pipeline.size=32",
        "train_cfg.max_epochs=4", "train_cfg.val_interval=2", "param_scheduler.0.milestones=[2,3]",
        "custom_hooks.0.bn_samples=16", "default_hooks.checkpoint.interval=2",
        "default_hooks.checkpoint.max_keep_ckpts=3", "default_hooks.logger.interval=1",
        "default_hooks.curves.interval=1", "randomness.deterministic=True"]


def make_colour_folder(root: Path, n_train=10, n_val=5, size=16, seed=0):
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", n_val)):
        for name, rgb in COLOURS.items():
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                pixels = np.clip(np.array(rgb) + rng.integers(-40, 41, (size, size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{name}_{i:03d}.png")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    make_colour_folder(root / "scenes-64")  # the smoke configs' folder name, so --data-root finds it
    return root


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An exported R18 'mocov2' backbone with non-trivial BN statistics and a sidecar."""
    out = tmp_path_factory.mktemp("ckpt") / "backbone.pth"
    torch.manual_seed(1)
    state = build_resnet("resnet18").state_dict()
    for key, value in state.items():
        if key.endswith("running_var"):
            state[key] = torch.rand_like(value) + 0.5
        elif key.endswith("running_mean"):
            state[key] = torch.randn_like(value) * 0.1
    save_backbone(state, out, {"method": "mocov2", "arch": "resnet18", "stem": "standard",
                               "run_id": "mocov2_fake-s0", "seed": 0, "iterations": 0, "epochs": 0})
    return out


def run_linear(data_root, work_dir, checkpoint="random", *extra, options=(), config=LINEAR, main=linear.main):
    argv = [config, "--checkpoint", str(checkpoint), "--data-root", str(data_root), "--work-dir", str(work_dir),
            *extra, "--cfg-options", *TINY, *options]
    return main(argv)


def read_curves(work_dir):
    with open(Path(work_dir) / "curves.csv") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------------------------ linear
@pytest.fixture(scope="module")
def pretrained_run(data_root, exported, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("runs") / "linear-pretrained"
    assert run_linear(data_root, work_dir, exported, "--rows", "scenes:mocov2/linear") == 0
    return work_dir


def test_linear_record_fields_and_above_chance(pretrained_run, exported):
    record = json.loads((pretrained_run / "record.json").read_text())
    assert record["status"] == "finished" and record["error"] is None
    assert record["stage"] == "linear" and record["profile"] == "smoke" and record["method"] == "mocov2"
    assert record["run_id"] == "linear_r18_scenes64--mocov2_fake-s0-s0"
    assert record["inputs"]["checkpoint"]["sha256"] == json.loads(exported.with_suffix(".json").read_text())["sha256"]
    assert record["rows"] == [{"table": "scenes", "row": "mocov2/linear"}]
    assert set(record["metrics"]) == {"top1", "top5", "top1_last", "mean_per_class_acc"}
    assert record["metrics"]["top1"] > 80.0  # 3 separable classes, chance 33 %
    assert record["backbone"]["format"] == "export" and record["backbone"]["n_loaded"] == 120
    assert record["backbone_check"]["verified"] is True
    assert any("kept from the checkpoint" in note for note in record["notes"])
    assert record["config_sha256"] and record["curves"] == "curves.csv"
    rows = read_curves(pretrained_run)
    val_top1 = [float(r["top1"]) for r in rows if r["top1"]]
    # report_top1='best' (inherited from the paper config, as MoCo): top1 = the best validation, top1_last the last
    assert val_top1[-1] == pytest.approx(record["metrics"]["top1_last"], abs=1e-3)
    assert max(val_top1) == pytest.approx(record["metrics"]["top1"], abs=1e-3)
    # the checkpoint pickles to plain types (resume reads it with weights_only=True)
    torch.load(pretrained_run / "epoch_4.pth", map_location="cpu", weights_only=True)


def test_rerun_with_same_config_is_skipped(pretrained_run, data_root, exported, capsys):
    before = (pretrained_run / "record.json").read_text()
    assert run_linear(data_root, pretrained_run, exported, "--rows", "scenes:mocov2/linear") == 0
    assert "skipped" in capsys.readouterr().out
    assert (pretrained_run / "record.json").read_text() == before
    with pytest.raises(SystemExit, match="finished run made from other inputs"):
        run_linear(data_root, pretrained_run, exported, options=["optim_wrapper.optimizer.lr=0.05"])


def test_random_init_reestimates_bn_and_learns(data_root, tmp_path):
    assert run_linear(data_root, tmp_path / "random") == 0
    record = json.loads((tmp_path / "random" / "record.json").read_text())
    assert record["method"] == "random" and record["run_id"].endswith("--random-s0")
    assert record["inputs"]["checkpoint"] == {"path": "random", "sha256": None}
    assert any("re-estimated on the training split (16 images" in note for note in record["notes"])
    assert record["metrics"]["top1"] > 80.0


def test_backbone_check_catches_a_modified_backbone():
    model = ResNetClassifier("random", arch="resnet18", num_classes=3)
    reference = backbone_fingerprint(model.backbone)
    assert verify_frozen_backbone(model, reference, recalibrated=False)["verified"]
    with torch.no_grad():
        model.backbone.layer3[0].conv1.weight[0, 0, 0, 0] += 1e-4
    with pytest.raises(BackboneChangedError, match="layer3.0.conv1.weight"):
        verify_frozen_backbone(model, reference, recalibrated=False)
    model = ResNetClassifier("random", arch="resnet18", num_classes=3)
    model.backbone.bn1.running_mean += 0.5  # BN statistics moved (e.g. a trunk left in train mode)
    with pytest.raises(BackboneChangedError, match="bn1.running_mean"):
        verify_frozen_backbone(model, reference, recalibrated=True)


@HOOKS.register_module()
class _TamperWithBackboneHook(Hook):
    """Test only: nudges one frozen weight mid-training, as a bug in a linear-eval trainer would."""

    def after_train_epoch(self, runner):
        with torch.no_grad():
            runner.model.backbone.layer4[1].conv2.weight.mul_(1.001)


def test_modified_backbone_fails_the_run(data_root, exported, tmp_path):
    config = tmp_path / "linear_tampered.py"
    config.write_text(f"_base_ = [{LINEAR!r}]\ncustom_hooks = [dict(type='FrozenBackboneHook', bn_samples=16, "
                      f"feature_cache=False), dict(type='_TamperWithBackboneHook')]\n")
    with pytest.raises(BackboneChangedError, match="layer4.1.conv2.weight"):
        run_linear(data_root, tmp_path / "run", exported, config=str(config), options=["train_cfg.max_epochs=1"])
    record = json.loads((tmp_path / "run" / "record.json").read_text())
    assert record["status"] == "failed" and "frozen backbone changed" in record["error"]


def test_feature_cache_trains_the_same_head_as_images(data_root, exported, tmp_path):
    common = ["train_cfg.max_epochs=2", "train_cfg.val_interval=2"]
    assert run_linear(data_root, tmp_path / "cached", exported, options=common) == 0
    images_options = [*common, "custom_hooks.0.feature_cache=False"]
    assert run_linear(data_root, tmp_path / "images", exported, options=images_options) == 0
    cached, images = read_curves(tmp_path / "cached"), read_curves(tmp_path / "images")
    assert len(cached) == len(images)
    for a, b in zip(cached, images):
        for key in ("loss", "top1"):
            if a[key]:
                assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-4, abs=1e-5)


def test_resume_from_a_mid_run_checkpoint_matches_the_uninterrupted_run(pretrained_run, data_root, exported,
                                                                       tmp_path):
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    shutil.copy(pretrained_run / "epoch_2.pth", resumed / "epoch_2.pth")  # as if killed during epoch 3
    # ... whose curves.csv holds epoch 2's validation (the best-epoch report reads it back; loss rows left out so
    # that every loss row below comes from the resumed run)
    with open(pretrained_run / "curves.csv", newline="") as src, open(resumed / "curves.csv", "w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, reader.fieldnames)
        writer.writeheader()
        writer.writerows(r for r in reader if r["top1"] and int(r["step"]) <= 8)
    record = json.loads((pretrained_run / "record.json").read_text())
    (resumed / "record.json").write_text(json.dumps(dict(record, status="running")))  # killed: still running
    (resumed / "last_checkpoint").write_text(str(resumed / "epoch_2.pth"))
    assert run_linear(data_root, resumed, exported, "--rows", "scenes:mocov2/linear") == 0
    full = {r["step"]: r for r in read_curves(pretrained_run) if r["loss"]}
    after = {r["step"]: r for r in read_curves(resumed) if r["loss"]}
    assert after and set(after) <= set(full) and min(int(s) for s in after) > 8
    for step, row in after.items():
        assert float(row["loss"]) == pytest.approx(float(full[step]["loss"]), rel=1e-5, abs=1e-6)
    final = json.loads((resumed / "record.json").read_text())
    assert final["metrics"] == json.loads((pretrained_run / "record.json").read_text())["metrics"]


def test_method_and_run_id_come_from_the_sidecar_or_the_method_flag(exported, tmp_path):
    import torchvision
    supervised = tmp_path / "resnet18_tv.pth"
    torch.save(torchvision.models.resnet18().state_dict(), supervised)  # a user's torchvision checkpoint
    ident, method, report, inputs = backbone_identity(str(supervised), "resnet18", "standard", "supervised")
    assert (ident, method, report["format"]) == ("resnet18_tv", "supervised", "torchvision")
    assert inputs["checkpoint"]["sha256"] == report["sha256"]
    assert backbone_identity(str(supervised), "resnet18", "standard", None)[1] == "external"
    assert backbone_identity(str(exported), "resnet18", "standard", None)[:2] == ("mocov2_fake-s0", "mocov2")
    with pytest.raises(SystemExit, match="contradicts the sidecar"):
        backbone_identity(str(exported), "resnet18", "standard", "supervised")
    with pytest.raises(SystemExit, match="looks like resnet18"):  # config says R50, checkpoint is R18
        backbone_identity(str(exported), "resnet50", "standard", None)


# ------------------------------------------------------------------------------------------------ semisup, kNN
def test_semisup_finetune_on_a_generated_subset(data_root, tmp_path):
    options = ["train_dataloader.dataset.subset_percent=40", "train_cfg.max_epochs=1", "train_cfg.val_interval=1",
               "param_scheduler.0.milestones=[1]", "default_hooks.checkpoint.interval=1"]
    argv = [SEMISUP, "--checkpoint", "random", "--data-root", str(data_root), "--work-dir", str(tmp_path / "ft"),
            "--cfg-options", *[o for o in TINY if not o.startswith("custom_hooks")], *options]
    assert finetune.main(argv) == 0
    record = json.loads((tmp_path / "ft" / "record.json").read_text())
    assert record["stage"] == "semisup" and record["protocol"] == "finetune"
    assert record["dataset"]["train"]["size"] == 12  # 40 % of 3 x 10, stratified
    assert record["inputs"]["subset"]["n_images"] == 12 and len(record["inputs"]["subset"]["sha256"]) == 64


def test_knn_random_init(data_root, tmp_path):
    argv = [KNN, "--checkpoint", "random", "--data-root", str(data_root), "--work-dir", str(tmp_path / "knn"),
            "--cfg-options", "test_cfg.bn_samples=16", "test_cfg.num_workers=0", "test_dataloader.num_workers=0",
            "test_dataloader.dataset.pipeline.size=16", "test_cfg.bank.pipeline.size=16"]
    assert knn.main(argv) == 0
    record = json.loads((tmp_path / "knn" / "record.json").read_text())
    assert record["stage"] == "knn" and record["method"] == "random" and record["status"] == "finished"
    assert set(record["metrics"]) == {"knn_top1"} and record["metrics"]["knn_top1"] > 80.0
    assert record["knn"] == {"k": 20, "temperature": 0.1}
    assert record["run_id"] == "knn_r18_scenes64--random-s0"
    assert "re-estimated" in record["notes"][0]


# ------------------------------------------------------------------------------------------------ data
def test_subset_lists_are_deterministic_and_stratified(data_root, tmp_path):
    root = data_root / "scenes-64"
    a = subsets.subset_lines(root, "train", 30, seed=0)
    assert a == subsets.subset_lines(root, "train", 30, seed=0)
    assert a != subsets.subset_lines(root, "train", 30, seed=1)
    per_class = {name: sum(line.startswith(name + "/") for line in a) for name in COLOURS}
    assert per_class == {name: 3 for name in COLOURS}
    assert subsets.main(["--data-root", str(root), "--percent", "30", "--out", str(tmp_path / "s.txt")]) == 0
    assert (tmp_path / "s.txt").read_text().split() == a
    from_file = ClsImageFolder(root, "train", subset_file=str(tmp_path / "s.txt"))
    generated = ClsImageFolder(root, "train", subset_percent=30, subset_seed=0)
    assert from_file.samples == generated.samples and len(from_file) == 9
    # SimCLR format: bare '<class>_<n>' names resolve to train/<class>/<file>
    assert subsets.main(["--data-root", str(root), "--percent", "30", "--format", "simclr",
                         "--out", str(tmp_path / "simclr.txt")]) == 0
    assert "/" not in (tmp_path / "simclr.txt").read_text()
    assert read_subset_file(tmp_path / "simclr.txt", root, "train", sorted(COLOURS)) == generated.samples
    # a class of 1000 at 1 % keeps 10, a class of 50 keeps 1 (never 0)
    samples = [(f"a{i}", 0) for i in range(1000)] + [(f"b{i}", 1) for i in range(50)]
    kept = stratified_subset(samples, 1, seed=0)
    assert sum(label == 0 for _, label in kept) == 10 and sum(label == 1 for _, label in kept) == 1


def test_missing_datasets_name_the_path(tmp_path):
    with pytest.raises(DatasetNotFound, match=str(tmp_path / "flowers102" / "train")):
        ClsImageFolder(tmp_path / "flowers102", "train")
    with pytest.raises(DatasetNotFound, match=f"CIFAR-10 not found in {tmp_path / 'cifar-10-batches-py'}.*Put one of"):
        CifarDataset(tmp_path / "cifar-10-batches-py", "train")
    with pytest.raises(DatasetNotFound, match=str(tmp_path / "cifar-100-python" / "train")):
        CifarDataset(tmp_path / "cifar-100-python", "train", variant="cifar100")
    with pytest.raises(DatasetNotFound, match=str(tmp_path / "stl10_binary" / "test_X.bin")):
        STL10Dataset(tmp_path / "stl10_binary", "test")
    with pytest.raises(DatasetNotFound, match="subset list not found"):
        read_subset_file(tmp_path / "nope.txt", tmp_path, "train", [])


def test_missing_dataset_fails_the_run_with_the_path(tmp_path):
    with pytest.raises(DatasetNotFound, match=str(tmp_path / "empty" / "scenes-64" / "train")):
        run_linear(tmp_path / "empty", tmp_path / "run")
    record = json.loads((tmp_path / "run" / "record.json").read_text())
    assert record["status"] == "failed" and "scenes-64" in record["error"]


def test_cifar_and_stl10_readers(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    images = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batch = {b"data": images[i:i + 1].transpose(0, 3, 1, 2).reshape(1, -1), b"labels": [i % 10]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    train = CifarDataset(folder, "train", pipeline=dict(kind="eval", size=32))
    assert len(train) == 5 and train.labels == [0, 1, 2, 3, 4]
    assert np.array_equal(np.asarray(train.image(2)), images[2])
    assert train[1]["inputs"].shape == (3, 32, 32) and train[1]["data_samples"] == 1
    evil = tmp_path / "evil" / "cifar-10-batches-py"  # a fresh copy (the first read cached the good one)
    shutil.copytree(folder, evil, ignore=shutil.ignore_patterns("*.npz"))
    (evil / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((1, 3072), np.uint8),
                                                    b"labels": [0], b"x": shutil.rmtree}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        CifarDataset(evil, "test")

    stl = tmp_path / "stl10_binary"
    stl.mkdir()
    pictures = rng.integers(0, 256, (3, 96, 96, 3), dtype=np.uint8)
    pictures.transpose(0, 3, 2, 1).tofile(stl / "test_X.bin")  # the release's column-major layout
    np.array([1, 10, 5], dtype=np.uint8).tofile(stl / "test_y.bin")
    test = STL10Dataset(stl, "test", pipeline=dict(kind="eval", size=96))
    assert test.labels == [0, 9, 4] and np.array_equal(np.asarray(test.image(1)), pictures[1])
