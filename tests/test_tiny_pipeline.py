"""CI's end-to-end run (issue 10): the tiny profile through `suite.pipeline`, the driver `reproduce_all.sh`
runs, with the same subprocesses and no mocks: data generation → pretraining of both methods → kNN, linear,
semi-supervised, transfer, detection, segmentation → report, in temporary folders. A second invocation skips
every run."""
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from suite.plan import plan

REPO = Path(__file__).resolve().parents[1]
STAGES = {"pretrain", "knn", "linear", "semisup", "transfer", "detection", "segmentation"}


def _pipeline(tmp: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "suite.pipeline", "--profile", "tiny", "--data-root", str(tmp / "data"),
               "--runs-dir", str(tmp / "runs"), "--results-dir", str(tmp / "results")]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tiny")
    checkout_before = {p: sorted(os.listdir(REPO / p)) if (REPO / p).exists() else None for p in ("runs", "results")}
    first = _pipeline(tmp)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    second = _pipeline(tmp)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    checkout_after = {p: sorted(os.listdir(REPO / p)) if (REPO / p).exists() else None for p in ("runs", "results")}
    return tmp, first.stdout, second.stdout, checkout_before, checkout_after


def test_every_stage_runs_and_records_from_generated_data(tiny_run):
    tmp, first, *_ = tiny_run
    for name in ("scenes-tiny32", "scenes-tiny64", "scenes_transfer-tiny32"):
        assert (tmp / "data" / name / "meta.json").exists(), name
    the_plan = plan("tiny", runs_dir=str(tmp / "runs"))
    assert {run.stage for run in the_plan.runs} == STAGES
    assert {run.method for run in the_plan.pretrain_runs} == {"leoclr", "mocov2"}
    for run in the_plan.runs:
        record = json.loads((Path(run.work_dir) / "record.json").read_text())
        assert record["status"] == "finished", run.run_id
        assert record["profile"] == "tiny" and record["stage"] == run.stage
        assert record["metrics"], run.run_id
        for value in record["metrics"].values():
            assert 0.0 <= value <= 100.0  # percent
    for run in the_plan.pretrain_runs:
        assert (Path(run.work_dir) / "backbone.pth").exists()
    assert "all runs finished" in first


def test_the_report_is_written_where_asked_and_nowhere_else(tiny_run):
    tmp, _, _, before, after = tiny_run
    assert before == after  # the checkout's runs/ and results/ were not touched
    out = tmp / "results" / "tiny"
    with open(out / "scenes.csv", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 3 * 9  # knn, linear, semisup, transfer (1 metric each) + det (3) + seg (2) = 9, × 3 methods
    assert {line["profile"] for line in lines} == {"tiny"}
    ran = [line for line in lines if line["method"] != "random" or line["row"] in ("random-knn", "random-linear")]
    assert len(ran) == 2 * 9 + 2 and {line["state"] for line in ran} == {"ok"}
    assert all(line["ours"] != "" for line in ran)
    assert {line["state"] for line in lines if line not in ran} == {"smoke profile only"}
    readme = (out / "README.md").read_text()
    assert "# Results: profile `tiny`" in readme and "`leoclr-det`" in readme
    assert "## LeOCLR vs MoCo-v2 (paired seeds)" in readme and "not assessed (1 seed, needs ≥ 3)" in readme
    assert "## The paper's premise, measured" in readme  # the crop-overlap diagnostic of configs/data/tiny.py
    assert not (out / "in1k_linear.csv").exists()  # paper tables do not run in the tiny profile


def test_a_second_invocation_skips_every_run(tiny_run):
    tmp, _, second, *_ = tiny_run
    n_runs = len(plan("tiny", runs_dir=str(tmp / "runs")).runs)
    assert len(re.findall(r": skipped \(finished\)", second)) == n_runs
    assert ": running (" not in second
