"""The training CLI end to end on a tiny generated set: resume equivalence, safe checkpoints, export, records,
skip/force, and bad-input errors."""
import csv
import json
import shutil
from pathlib import Path

import pytest
import torch
import torchvision
from PIL import Image

from pretrain import train
from pretrain.datasets.scenes import generate

SMOKE = "configs/pretrain/smoke/{}_r18_1xb64-100it_scenes64.py"
TINY = ["train_cfg.max_iters=6", "train_cfg.type=ResumableIterLoop", "train_dataloader.batch_size=8",
        "train_dataloader.num_workers=0", "train_dataloader.persistent_workers=False",
        "train_dataloader.dataset.size=32", "model.queue_size=16", "model.bn_splits=2",
        "default_hooks.checkpoint.interval=3", "default_hooks.curves.interval=1", "default_hooks.logger.interval=1",
        "param_scheduler.0.T_max=6", "param_scheduler.0.end=6", "randomness.deterministic=True"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    generate(root / "scenes-64", seed=0, size=120, image_size=32, workers=1)
    return root


def run(method, data_root, work_dir, *extra, options=()):
    argv = [SMOKE.format(method), "--data-root", str(data_root), "--work-dir", str(work_dir), *extra,
            "--cfg-options", *TINY, *options]
    return train.main(argv)


def losses(work_dir):
    with open(Path(work_dir) / "curves.csv") as handle:
        return {int(row["step"]): float(row["loss"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def finished_run(data_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("runs") / "leoclr"
    assert run("leoclr", data_root, work_dir) == 0
    return work_dir


def test_resume_from_a_mid_run_checkpoint_reproduces_the_uninterrupted_losses(finished_run, data_root, tmp_path):
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    shutil.copy(finished_run / "iter_3.pth", resumed / "iter_3.pth")  # as if killed between iteration 3 and 6
    (resumed / "last_checkpoint").write_text(str(resumed / "iter_3.pth"))
    killed = json.loads((finished_run / "record.json").read_text())  # what a SIGKILL leaves: a `running` record
    (resumed / "record.json").write_text(json.dumps(dict(killed, status="running", finished=None)))
    assert run("leoclr", data_root, resumed) == 0
    full, after = losses(finished_run), losses(resumed)
    assert sorted(after) == [4, 5, 6]
    for step in (4, 5, 6):
        assert after[step] == pytest.approx(full[step], rel=1e-5, abs=1e-6)
    a = torch.load(finished_run / "backbone.pth", weights_only=True)
    b = torch.load(resumed / "backbone.pth", weights_only=True)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_checkpoints_hold_only_plain_types(finished_run):
    for path in finished_run.glob("iter_*.pth"):
        assert torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) == []
        torch.load(path, weights_only=True)


def test_export_loads_into_torchvision_with_only_fc_missing(finished_run):
    state = torch.load(finished_run / "backbone.pth", weights_only=True)
    missing, unexpected = torchvision.models.resnet18().load_state_dict(state, strict=False)
    assert set(missing) == {"fc.weight", "fc.bias"} and not unexpected
    sidecar = json.loads((finished_run / "backbone.json").read_text())
    assert sidecar["method"] == "leoclr" and sidecar["arch"] == "resnet18" and sidecar["iterations"] == 6
    assert len(sidecar["sha256"]) == 64 and sidecar["epochs"] == pytest.approx(6 * 8 / 96, abs=1e-3)


def test_record_curves_and_knn(finished_run):
    record = json.loads((finished_run / "record.json").read_text())
    assert record["status"] == "finished" and record["method"] == "leoclr" and record["stage"] == "pretrain"
    assert 0.0 <= record["metrics"]["knn_top1"] <= 100.0 and record["curves"] == "curves.csv"
    assert record["outputs"]["backbone"]["sha256"] == json.loads((finished_run / "backbone.json").read_text())["sha256"]
    assert sorted(losses(finished_run)) == [1, 2, 3, 4, 5, 6]
    # schema 2: what the run depends on is pinned, and where its time went is split
    assert record["schema"] == 2 and record["inputs"]["dataset"]["hashed"] == "content"
    assert len(record["inputs"]["dataset"]["sha256"]) == 64 and not record["inputs"]["dataset"]["path"].startswith("/")
    assert {"pretrain/leoclr.py", "pretrain/contrast.py", "common/records.py"} <= set(record["code"]["files"])
    assert record["environment"]["kind"] in ("uv.lock", "packages")
    assert 0 < record["startup_s"] and 0 <= record["work_s"] and record["collapse_watch"]["state"] == "too_short"


def test_finished_run_is_skipped_refused_with_other_config_and_moved_aside_with_force(data_root, tmp_path):
    work_dir = tmp_path / "mocov2"
    assert run("mocov2", data_root, work_dir) == 0
    stamp = (work_dir / "record.json").stat().st_mtime_ns
    assert run("mocov2", data_root, work_dir) == 0  # same config: skipped
    assert (work_dir / "record.json").stat().st_mtime_ns == stamp
    with pytest.raises(SystemExit, match="config_sha256 recorded"):
        run("mocov2", data_root, work_dir, options=["model.temperature=0.5"])
    assert run("mocov2", data_root, work_dir, "--force", options=["model.temperature=0.5"]) == 0
    assert len(list(tmp_path.glob("mocov2.old-*"))) == 1


def test_missing_dataset_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="scenes-64"):
        run("mocov2", tmp_path / "nowhere", tmp_path / "run")


def test_empty_class_folder_and_corrupt_image_are_named(data_root, tmp_path):
    broken = tmp_path / "data"
    shutil.copytree(data_root / "scenes-64", broken / "scenes-64")
    empty = broken / "scenes-64" / "train" / "zz_empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="zz_empty"):
        run("mocov2", broken, tmp_path / "run1")
    empty.rmdir()
    victim = sorted((broken / "scenes-64" / "train").rglob("*.png"))[0]
    victim.write_bytes(b"not a png")
    from pretrain.data import MultiViewImageFolder
    dataset = MultiViewImageFolder(broken / "scenes-64", size=32)
    index = [path for path, _ in dataset.samples].index(str(victim))
    with pytest.raises(RuntimeError, match=victim.name):
        dataset[index]
    assert Image.open(sorted((broken / "scenes-64" / "train").rglob("*.png"))[1]).size == (32, 32)
