"""The cifar10 profiles wired into the pipeline and the report (issue 12): the plan, the data step, records archived
under results/<profile>/records/ and the table rebuilt from them, the kNN curves with the random-init lines."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path


from suite import figures, pipeline, report
from suite.plan import plan
from suite.tables import load_tables, validate_tables

REPO = Path(__file__).resolve().parents[1]


def test_the_cifar10_dry_run_lists_every_row_of_its_table():
    out = subprocess.run([sys.executable, "-m", "suite.pipeline", "--profile", "cifar10", "--dry-run",
                          "--data-root", "/nonexistent"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for row in ("leoclr-knn", "mocov2-knn", "leoclr-linear", "mocov2-linear", "random-knn", "random-linear",
                "random-bnraw-knn"):
        assert f"cifar10:{row}" in out
    assert "[data] " in out and "-m pretrain.datasets.cifar /nonexistent/cifar10" in out
    gpu = plan("cifar10-gpu")
    assert {run.config for run in gpu.pretrain_runs} == {
        f"configs/pretrain/cifar10/{m}_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py" for m in ("leoclr", "mocov2")}


def test_the_data_step_uses_the_shared_tarball_or_says_what_to_put_where(tmp_path, monkeypatch):
    spec = {"folder": "cifar10", "candidates": ["shared/cifar10-jpeg.tar.gz"]}
    monkeypatch.setattr(pipeline, "REPO_ROOT", tmp_path)
    assert pipeline.cifar10_command(spec, str(tmp_path / "d"), download=False) == [
        sys.executable, "-m", "pretrain.datasets.cifar", str(tmp_path / "d" / "cifar10")]   # pretrain.datasets.cifar then explains
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cifar10-jpeg.tar.gz").write_bytes(b"")
    assert pipeline.cifar10_command(spec, str(tmp_path / "d"), download=True)[-3:] == [
        "--source", str(tmp_path / "shared" / "cifar10-jpeg.tar.gz"), "--download"]
    (tmp_path / "d" / "cifar10").mkdir(parents=True)
    (tmp_path / "d" / "cifar10" / "cifar10-uint8.npz").write_bytes(b"")
    assert pipeline.cifar10_command(spec, str(tmp_path / "d"), download=False) is None  # cached: nothing to do


def _record(runs, stage, run_id, seed, method, row, metrics, curves=None, **extra):
    run_dir = runs / "cifar10" / stage / run_id
    run_dir.mkdir(parents=True)
    record = {"schema": 1, "stage": stage, "profile": "cifar10", "run_id": run_id, "seed": seed, "method": method,
              "metrics": metrics, "rows": [{"table": "cifar10", "row": row}] if row else [], "status": "finished",
              "wall_s": 60.0, "git_commit": "abc", "finished": "2026-01-01T00:00:00+00:00", "curves": curves, **extra}
    (run_dir / "record.json").write_text(json.dumps(record))
    return run_dir


def test_records_are_archived_and_the_table_rebuilds_from_the_archive(tmp_path):
    runs, out = tmp_path / "runs", tmp_path / "results"
    tables = load_tables(check_files=False)
    for seed, (leo, moco) in enumerate([(41.0, 39.0), (42.5, 40.0), (41.5, 39.8)]):
        _record(runs, "knn", f"knn--leo-s{seed}", seed, "leoclr", "leoclr-knn", {"knn_top1": leo})
        _record(runs, "knn", f"knn--moco-s{seed}", seed, "mocov2", "mocov2-knn", {"knn_top1": moco})
    _record(runs, "knn", "knn--random-s0", 0, "random", "random-knn", {"knn_top1": 33.0})
    _record(runs, "knn", "knn--random-bnraw-s0", 0, "random", "random-bnraw-knn", {"knn_top1": 37.0})
    for method in ("leoclr", "mocov2"):
        run_dir = _record(runs, "pretrain", f"{method}-s0", 0, method, None, {"knn_top1": 40.0}, "curves.csv",
                          **({"train_s": 1500.0} if method == "leoclr" else {}))  # older records have none
        (run_dir / "curves.csv").write_text("step,epoch,loss,lr,knn_top1,pos_sim,neg_sim\n"
                                            "195,1,8.1,0.03,35.0,,\n390,2,7.9,0.03,38.0,,\n")
    report.write_report("cifar10", runs, out, tables=tables)
    archived = sorted(p.relative_to(out / "cifar10" / "records").as_posix()
                      for p in (out / "cifar10" / "records").rglob("*.*"))
    assert "knn/knn--leo-s2/record.json" in archived and "pretrain/leoclr-s0/curves.csv" in archived
    first = (out / "cifar10" / "cifar10.csv").read_text()

    # a later session without the runs/ of this one rebuilds the same table from the committed records
    rebuilt = report.write_report("cifar10", tmp_path / "empty-runs", out, tables=tables)
    assert (out / "cifar10" / "cifar10.csv").read_text() == first and rebuilt[0].source == "fresh"
    readme = (out / "cifar10" / "README.md").read_text()
    knn = next(l for l in readme.splitlines() if "`leoclr-knn`" in l and "| knn_top1 |" in l)
    assert "| 3 | +2.07 |" in knn and knn.rstrip().endswith("| LeOCLR ahead |")
    assert "| `leoclr-s0` | LeOCLR | 0 |" in readme and "| 40.0 | 25.0 min | — | 1.0 min | — |" in readme
    assert "| 40.0 | — | — | 1.0 min |" in readme   # MoCo-v2's record has no train_s
    assert (out / "cifar10" / "figures" / "pretrain_curves.png").stat().st_size > 1000
    assert figures.random_knn_lines(rebuilt) == {"random init (random-knn)": 33.0,
                                                "random init (random-bnraw-knn)": 37.0}
    # the bar, against the better random init (bnraw 37.0 here), not the Δ random column's random-knn
    assert ("here `random-bnraw-knn` 37.00): `leoclr-knn` +4.67, `mocov2-knn` +2.60 (means over seeds): not reached."
            in readme)
    lower_bar = dataclasses.replace(rebuilt[0], table=dataclasses.replace(
        rebuilt[0].table, goal={**rebuilt[0].table.goal, "margin": 2.5}))
    assert report.goal_line(lower_bar).endswith(": reached.")
    no_random = dataclasses.replace(lower_bar, lines=[l for l in lower_bar.lines if l["row"] != "random-bnraw-knn"])
    assert "not assessed" in report.goal_line(no_random)
    wrong = dataclasses.replace(rebuilt[0].table, goal={**rebuilt[0].table.goal, "over": ["random-nope"]})
    assert validate_tables([wrong], check_files=False, check_reference=False) == [
        "table 'cifar10': `goal` names row 'random-nope', which the table does not have"]


def test_archived_runs_are_skipped_without_their_run_dirs_and_their_downstream_says_why(tmp_path):
    """A study accumulates over clones: seed 0 committed under results/cifar10/records/ is not rerun by
    `--seeds 0,1`; a downstream run whose pretraining is archived without a checkpoint is refused by name."""
    from common.records import config_file_sha256

    the_plan = plan("cifar10", seeds=(0,), only="cifar10:leoclr-knn,cifar10:leoclr-linear",
                    runs_dir=str(tmp_path / "runs"))
    pretrain_run = the_plan.pretrain_runs[0]
    knn, linear = sorted(the_plan.downstream_runs, key=lambda r: r.stage)
    archive = tmp_path / "results" / "cifar10" / "records"

    def archived(run, config_hash):
        (archive / run.stage / run.run_id).mkdir(parents=True, exist_ok=True)
        (archive / run.stage / run.run_id / "record.json").write_text(json.dumps(
            {"schema": 1, "status": "finished", "stage": run.stage, "run_id": run.run_id, "profile": "cifar10",
             "seed": 0, "method": "leoclr", "metrics": {}, "rows": [], "config_file_sha256": config_hash}))

    archived(pretrain_run, config_file_sha256(pretrain_run.config))
    archived(knn, config_file_sha256(knn.config))
    assert pipeline.run_state(pretrain_run, None, archive)[0] == "skip"
    assert pipeline.run_state(knn, knn.checkpoint_arg(), archive)[0] == "skip"
    assert pipeline.run_state(pretrain_run, None, None) == ("run", "new")   # profiles without an archive
    assert pipeline.run_state(linear, linear.checkpoint_arg(), archive) == ("run", "new")
    (tmp_path / "data" / "cifar10").mkdir(parents=True)
    (tmp_path / "data" / "cifar10" / "cifar10-uint8.npz").write_bytes(b"")   # the data step sees a cache
    out = subprocess.run([sys.executable, "-m", "suite.pipeline", "--profile", "cifar10", "--only",
                          "cifar10:leoclr-knn,cifar10:leoclr-linear", "--runs-dir", str(tmp_path / "runs"),
                          "--results-dir", str(tmp_path / "results"), "--data-root", str(tmp_path / "data")],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"{pretrain_run.run_id}: skipped (finished, archived in" in out.stdout
    assert f"not run (needs {linear.checkpoint_arg()}; {pretrain_run.run_id} is archived without" in out.stdout
    assert not (tmp_path / "runs" / "cifar10" / "pretrain").exists()   # nothing was trained
    archived(pretrain_run, "another config")   # kept, listed as stale (a legacy record): never silently replaced
    assert pipeline.run_state(pretrain_run, None, archive) == ("stale", "config changed (legacy record)")
