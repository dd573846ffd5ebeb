"""suite.sweep: the plan (random-init references first, a point's options passed to both methods), and the
table rebuilt from archived records (settings read from the merged configs, the max-of-min selection, the goal)."""
import argparse
import csv
import json
import sys

import pytest

from suite import sweep
from common.records import write_record

SPEC = """
sweep = 'cifar10'
profile = 'cifar10'
bases = dict(mocov2='configs/pretrain/cifar10/sweep/mocov2_r18_1xb256-coslr-4e_cifar10-val.py',
             leoclr='configs/pretrain/cifar10/sweep/leoclr_r18_1xb256-coslr-4e_cifar10-val.py')
random_init = dict(knn='configs/knn/cifar10/knn_r18_cifar10-val.py',
                   bnraw='configs/knn/cifar10/knn_r18_cifar10-val_bnraw.py')
goal_margin = 5.0
points = [dict(name='a', options={'optim_wrapper.optimizer.lr': 0.6, 'model.temperature': 0.2}),
          dict(name='b', options={'model.stem': 'standard_nomaxpool', 'train_cfg.max_epochs': 2}),
          dict(name='c', options={}, methods=['mocov2'])]
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.py"
    path.write_text(SPEC)
    return str(path)


def args(spec, tmp_path, only=None):
    """The namespace suite.sweep's parser makes, with tmp folders."""
    return argparse.Namespace(spec=spec, only=only, data_root="data", runs_dir=str(tmp_path / "runs"),
                              results_dir=str(tmp_path / "results"), force=False)


def test_the_plan_runs_random_init_first_then_both_methods_per_point(spec, tmp_path):
    ns = args(spec, tmp_path, only="a")
    runs = sweep.planned(sweep.load_spec(spec), ns)
    assert [(p, m) for p, m, _ in runs] == [("random", "knn"), ("random", "bnraw"), ("a", "mocov2"), ("a", "leoclr")]
    command = runs[2][2]
    assert command[:3] == [sys.executable, "-m", "pretrain.train"] and "mocov2_r18" in command[3]
    assert command[command.index("--work-dir") + 1] == str(tmp_path / "runs" / "cifar10-sweep" / "a" / "mocov2")
    assert command[command.index("--cfg-options") + 1:] == ["optim_wrapper.optimizer.lr=0.6", "model.temperature=0.2"]
    ns.only = "c"  # a point may leave a method out
    assert [(p, m) for p, m, _ in sweep.planned(sweep.load_spec(spec), ns)][2:] == [("c", "mocov2")]
    ns.only = "a,zz"
    with pytest.raises(SystemExit, match="no such point"):
        sweep.planned(sweep.load_spec(spec), ns)


def test_the_table_selects_the_point_whose_weaker_method_is_best(spec, tmp_path):
    ns = args(spec, tmp_path)
    loaded = sweep.load_spec(spec)
    base = sweep.archive_dir(loaded, ns)

    def record(point, method, knn, train_s=600.0):
        write_record(base / point / method, {"status": "finished", "metrics": {"knn_top1": knn}, "train_s": train_s,
                                             "wall_s": train_s + 100, "git_commit": "abc", "curves": "curves.csv"})
        (base / point / method / "curves.csv").write_text(f"step,epoch,knn_top1\n10,1.0,\n20,2.0,{knn - 1}\n")

    record("random", "knn", 30.0)
    record("random", "bnraw", 35.0)
    record("a", "mocov2", 45.0)
    record("a", "leoclr", 38.0)    # the best single run, but its weaker method is below b's
    record("b", "mocov2", 41.0)
    record("b", "leoclr", 40.5)
    record("c", "mocov2", 50.0)    # one method only: not selectable
    rows = sweep.build_table(loaded, ns)
    assert [(r["point"], r["method"]) for r in rows] == [("a", "mocov2"), ("a", "leoclr"), ("b", "mocov2"),
                                                          ("b", "leoclr"), ("c", "mocov2")]
    a = rows[0]
    assert (a["lr_per_512"], a["lr"], a["temperature"], a["batch"], a["epochs"]) == (0.6, 0.3, 0.2, 256, 4)
    assert (rows[2]["stem"], rows[2]["epochs"]) == ("standard_nomaxpool", 2) and a["val_knn_by_epoch"] == "e2: 44.00"
    with open(tmp_path / "results" / "cifar10" / "sweep" / "sweep.csv") as handle:
        assert [row["val_knn_top1"] for row in csv.DictReader(handle)] == ["45.0", "38.0", "41.0", "40.5", "50.0"]
    text = (tmp_path / "results" / "cifar10" / "sweep" / "sweep.md").read_text()
    assert "selected `b`" in text and "reached" in text and "not reached" not in text  # 40.5 ≥ 35 + 5
    assert "`c`: mocov2 only (the spec leaves the other out)" in text and "knn: 30.0, bnraw: 35.0" in text
    record("b", "leoclr", 39.0)
    assert "not reached" in (sweep.render(loaded, sweep.build_table(loaded, ns), {"knn": 30.0, "bnraw": 35.0}))
    assert json.loads((base / "b" / "leoclr" / "record.json").read_text())["metrics"]["knn_top1"] == 39.0
