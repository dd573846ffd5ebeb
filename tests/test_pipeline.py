"""reproduce_all.sh's driver: the dry-run plan, skipping finished runs, --force moving old runs aside."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from suite import pipeline
from suite.plan import plan
from suite.tables import load_tables
from common.records import config_file_sha256, write_record

REPO = Path(__file__).resolve().parents[1]


def test_paper_dry_run_lists_every_paper_table_with_estimates():
    out = subprocess.run([sys.executable, "-m", "suite.pipeline", "--profile", "paper", "--dry-run",
                          "--data-root", "/datasets"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    paper_tables = [t.name for t in load_tables() if t.applies_to("paper")]
    assert set(paper_tables) >= {"in1k_linear", "in1k_semisup", "transfer", "voc_det", "small_datasets",
                                 "coco_det", "voc_seg"}
    for table in paper_tables:
        assert f"{table}:" in out  # every table's rows appear in some run's --rows
    assert "total estimate:" in out and "GPU-h" in out and "--data-root /datasets" in out


def fake_finished(run, checkpoint_sha=None):
    write_record(run.work_dir, {"status": "finished", "config_file_sha256": config_file_sha256(run.config),
                                "inputs": {"checkpoint": {"path": "x", "sha256": checkpoint_sha}},
                                "metrics": {}, "run_id": run.run_id})


@pytest.fixture
def smoke_knn(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    runs = tmp_path / "runs"
    the_plan = plan("smoke", (0,), "scenes:leoclr-knn", str(tmp_path / "data"), runs_dir=str(runs))
    launched = []

    def fake_run(command, **kwargs):
        launched.append(command)
        run = next(r for r in the_plan.runs if r.work_dir in command)
        fake_finished(run)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(pipeline.subprocess, "run", fake_run)
    monkeypatch.setattr(pipeline, "generate_data", lambda *a: [])
    monkeypatch.setattr(pipeline, "run_diagnostics", lambda *a: [])
    monkeypatch.setattr(pipeline.report, "main", lambda argv: 0, raising=False)
    return the_plan, runs, launched


def main(runs, *extra):
    return pipeline.main(["--only", "scenes:leoclr-knn", "--runs-dir", str(runs), *extra])


def test_finished_runs_are_skipped_and_force_moves_them_aside(smoke_knn):
    the_plan, runs, launched = smoke_knn
    assert [r.stage for r in the_plan.runs] == ["pretrain", "knn"]
    assert main(runs) == 0 and len(launched) == 2  # pretraining, then kNN on its backbone
    assert main(runs) == 0 and len(launched) == 2  # everything finished: nothing launched
    assert main(runs, "--force") == 0 and len(launched) == 3  # downstream rerun, pretraining kept
    knn_dir = Path(the_plan.downstream_runs[0].work_dir)
    assert len(list(knn_dir.parent.glob(knn_dir.name + ".old-*"))) == 1
    assert not list(Path(the_plan.pretrain_runs[0].work_dir).parent.glob("*.old-*"))


def test_a_changed_config_is_not_skipped(smoke_knn):
    the_plan, runs, launched = smoke_knn
    for run in the_plan.runs:
        fake_finished(run)
    record = Path(the_plan.pretrain_runs[0].work_dir) / "record.json"
    data = json.loads(record.read_text())
    data["config_file_sha256"] = "0" * 64
    record.write_text(json.dumps(data))
    current, why = pipeline.is_current(the_plan.pretrain_runs[0], None)
    assert not current and "config changed" in why


def test_gpus_per_stage_and_cfg_options_reach_every_run():
    out = subprocess.run([sys.executable, "-m", "suite.pipeline", "--profile", "paper", "--dry-run",
                          "--data-root", "/datasets", "--gpus", "pretrain=8,detection=8,segmentation=4",
                          "--cfg-options", "train_dataloader.num_workers=4", "--allow-batch-mismatch"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    commands = [line for line in out.splitlines() if line.startswith("[") and "python" in line]
    assert commands
    for line in commands:
        stage = line.split("]", 1)[1].split()[0]
        nproc = {"pretrain": 8, "detection": 8, "segmentation": 4}.get(stage)
        assert (f"--nproc_per_node={nproc}" in line) == (nproc is not None), line
        assert ("--launcher pytorch" in line) == (nproc is not None), line
        assert line.endswith("--allow-batch-mismatch --cfg-options train_dataloader.num_workers=4"), line
    bad = subprocess.run([sys.executable, "-m", "suite.pipeline", "--dry-run", "--gpus", "pretrian=8"],
                         cwd=REPO, capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown stage 'pretrian'" in bad.stderr
