"""`python -m pretrain.train` end to end with the CIFAR-10 profile's configs on a tiny fake of the python pickles:
epoch-wise kNN in curves.csv, the record, the export, and the train-time budget."""
import csv
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from pretrain import train
from pretrain.datasets import cifar

CPU = "configs/pretrain/cifar10/{}_r18_1xb64-coslr-6e_cifar10.py"
TINY = ["train_dataloader.batch_size=16", "train_dataloader.num_workers=0", "train_dataloader.persistent_workers=False",
        "model.queue_size=32", "model.bn_splits=2", "train_cfg.max_epochs=2",
        "param_scheduler.0.T_max=2", "param_scheduler.0.end=2", "default_hooks.curves.interval=1",
        "default_hooks.logger.interval=1", "randomness.deterministic=True"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    folder = root / "cifar10" / cifar.PICKLE_FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, names in cifar.PICKLE_FILES.items():
        for name in names:
            n = 8 if split == "train" else 20
            batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                     b"labels": [int(v) for v in rng.integers(0, 10, n)]}
            (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return root


def epochs(record):
    return record["epochs"] if "epochs" in record else record["metrics"]["epochs"]  # counts beside the metrics


def curves(work_dir):
    with open(work_dir / "curves.csv") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.filterwarnings("ignore:.*split has.*")
def test_leoclr_epochs_with_knn_every_epoch(data_root, tmp_path):
    work_dir = tmp_path / "leoclr"
    assert train.main([CPU.format("leoclr"), "--data-root", str(data_root), "--work-dir", str(work_dir),
                       "--cfg-options", *TINY]) == 0
    rows = curves(work_dir)
    knn = {int(r["step"]): float(r["knn_top1"]) for r in rows if r["knn_top1"]}
    assert sorted(knn) == [2, 4]  # 40 training images, batches of 16 (drop_last): 2 steps per epoch
    assert all(0 <= v <= 100 for v in knn.values())
    record = json.loads((work_dir / "record.json").read_text())
    assert record["status"] == "finished" and record["method"] == "leoclr" and record["profile"] == "cifar10"
    assert epochs(record) == 2 and "knn_top1" in record["metrics"]
    # seconds of training iterations, measured without a budget in the config (the kNN monitor not counted)
    assert 0 < record["train_s"] < record["wall_s"]
    sidecar = json.loads((work_dir / "backbone.json").read_text())
    assert sidecar["stem"] == "standard" and sidecar["dataset"] == "cifar10"


@pytest.mark.filterwarnings("ignore:.*split has.*")
def test_train_time_budget_stops_at_an_epoch_end(data_root, tmp_path):
    config = tmp_path / "mocov2_budget.py"
    config.write_text(
        f"_base_ = [{str(Path(CPU.format('mocov2')).resolve())!r}]\n"
        "custom_hooks = [dict(type='KNNMonitorHook', data_root='data/cifar10', bank_split='train',\n"
        "                     query_split='test', dataset=dict(type='InMemoryEval'), k=5, by_epoch=True),\n"
        "                dict(type='TrainTimeBudgetHook', max_train_s=0.001)]\n")
    work_dir = tmp_path / "mocov2"
    assert train.main([str(config), "--data-root", str(data_root), "--work-dir", str(work_dir),
                       "--cfg-options", *TINY]) == 0
    assert epochs(json.loads((work_dir / "record.json").read_text())) == 1
    assert [int(r["step"]) for r in curves(work_dir) if r["knn_top1"]] == [2]


def test_train_time_carries_over_a_resume_but_not_a_weights_load():
    """train_s counts every attempt of a resumed run (the count rides in the checkpoint's meta), and a run that
    only loads another run's weights starts from zero."""
    from types import SimpleNamespace

    from pretrain.hooks import TrainTimeBudgetHook
    first = TrainTimeBudgetHook(max_train_s=float("inf"))
    first.spent, first.epochs_timed = 600.0, 2
    checkpoint = {"meta": {"epoch": 2}}
    first.before_save_checkpoint(None, checkpoint)
    resumed, loaded = TrainTimeBudgetHook(float("inf")), TrainTimeBudgetHook(float("inf"))
    for hook, epoch in ((resumed, 2), (loaded, 0)):
        hook.after_load_checkpoint(None, checkpoint)
        hook.before_train(SimpleNamespace(epoch=epoch))
    assert (resumed.spent, resumed.epochs_timed) == (600.0, 2)
    assert (loaded.spent, loaded.epochs_timed) == (0.0, 0)
    fresh = TrainTimeBudgetHook(float("inf"))
    fresh.before_train(SimpleNamespace(epoch=0))   # no checkpoint loaded at all
    assert fresh.spent == 0.0
