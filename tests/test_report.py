"""Reference CSVs, table configs, the run plan and the report (suite/tables.py, suite/plan.py, suite/report.py).

Fast: no training; the report runs on synthetic records written to tmp dirs."""
import csv
import dataclasses
import json
import math

import pytest

from suite import aggregate, report
from suite.plan import plan
from suite.tables import (COVERAGE, PAPER_ONLY_TABLES, REFERENCE_COLUMNS, REFERENCE_DIR, REFERENCE_STATUSES,
                               SUITE_TABLES, TABLE_IDS, Row, RunSpec, TableError, load_tables, missing_files,
                               read_reference, validate_tables)

PAPER_TABLES = [t for t in TABLE_IDS if t not in SUITE_TABLES]
SMOKE_PRE = "configs/pretrain/smoke/{}_r18_1xb64-100it_scenes64.py"


@pytest.fixture(scope="module")
def tables():
    return load_tables(check_files=False)


def _ref(table_id):
    with open(REFERENCE_DIR / f"{table_id}.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        return tuple(reader.fieldnames), list(reader)


# ----------------------------------------------------------------------------------------- reference CSVs
@pytest.mark.parametrize("table_id", PAPER_TABLES)
def test_reference_csv_contract(table_id):
    columns, rows = _ref(table_id)
    assert columns == REFERENCE_COLUMNS
    assert rows, table_id
    pairs = [(r["row"], r["metric"]) for r in rows]
    assert len(pairs) == len(set(pairs)), "one line per (row, metric)"
    for r in rows:
        assert r["table"] == table_id
        assert r["status"] in REFERENCE_STATUSES
        assert r["source"].strip()
        if r["status"] == "pending":
            assert r["value"] == "", f"pending {r['row']}/{r['metric']} must stay empty"
        else:
            assert 0 <= float(r["value"]) <= 100, "percent"


def test_reference_known_numbers():
    def value(table, row, metric):
        hit = [r for r in read_reference(table) if (r["row"], r["metric"]) == (row, metric)]
        assert len(hit) == 1
        return hit[0]["value"], hit[0]["status"]

    assert value("in1k_linear", "mocov2-r50-200e", "top1") == ("67.5", "moco-v2")
    assert value("in1k_linear", "mocov2-r50-800e", "top1") == ("71.1", "moco-v2")
    derived, status = value("in1k_linear", "leoclr-r50-800e", "top1")
    assert (derived, status) == ("76.2", "derived")
    assert "71.1" in [r for r in read_reference("in1k_linear") if r["status"] == "derived"][0]["source"]
    assert value("in1k_linear", "gap-leoclr-mocov2-r50-800e", "top1") == ("5.1", "paper")
    assert value("in1k_linear", "leoclr-r50-800e", "top5") == ("", "pending")
    expected = {"mocov2-r50-200e": ("82.4", "57.0", "63.6"), "mocov2-r50-800e": ("82.5", "57.4", "64.0"),
                "supervised-r50": ("81.3", "53.5", "58.8")}
    for row, numbers in expected.items():
        for metric, number in zip(("AP50", "AP", "AP75"), numbers):
            assert value("voc_det", row, metric) == (number, "moco-v2")
    # every LeOCLR number other than the derived one and the stated gap is pending
    for table in PAPER_TABLES:
        for r in read_reference(table):
            if r["method"] == "leoclr" and r["status"] not in ("derived", "paper"):
                assert r["status"] == "pending" and r["value"] == ""


# ----------------------------------------------------------------------------------------- table configs
def test_table_configs_load_and_validate(tables):
    assert [t.name for t in tables] == list(TABLE_IDS)
    assert validate_tables(tables, check_files=False) == []
    for table in tables:
        assert len(set(table.keys)) == len(table.keys)
        if table.name not in SUITE_TABLES:
            assert set(table.keys) == {r["row"] for r in read_reference(table.name)}


def test_referenced_config_files_exist(tables):
    assert missing_files(tables) == []
    assert validate_tables(tables, check_files=True) == []


def test_validation_names_table_and_problem(tables):
    lin = next(t for t in tables if t.name == "in1k_linear")
    spec = RunSpec(downstream="configs/linear/does_not_exist.py",
                   pretrain="configs/pretrain/leoclr_r50_8xb32-coslr-800e_in1k.py")
    extra = Row(table="in1k_linear", key="leoclr-r50-800e", method="leoclr", stage="linear", metrics=("top1",),
                descriptors=dict(lin.rows[0].descriptors), specs={"paper": spec})
    broken = dataclasses.replace(lin, rows=lin.rows + [extra])
    problems = validate_tables([broken], check_files=True)
    assert any("in1k_linear" in p and "'leoclr-r50-800e' is used 2 times" in p for p in problems)
    assert any("in1k_linear" in p and "configs/linear/does_not_exist.py" in p for p in problems)
    wrong = dataclasses.replace(lin, rows=[dataclasses.replace(r, method="mocov2") if r.key == "leoclr-r50-100e"
                                           else r for r in lin.rows])
    problems = validate_tables([wrong], check_files=False)
    assert any("not a mocov2 config" in p for p in problems)
    assert any("leoclr-r50-100e" in p and "method" in p for p in problems)  # disagrees with the reference CSV
    dropped = dataclasses.replace(lin, rows=[r for r in lin.rows if r.key != "random-r50"])
    problems = validate_tables([dropped], check_files=False)
    assert any("reference row 'random-r50'" in p for p in problems)
    smoke_row = dataclasses.replace(lin.rows[0], specs={**lin.rows[0].specs, "smoke": RunSpec(
        downstream="configs/linear/smoke/linear_r18_scenes64.py", pretrain=SMOKE_PRE.format("leoclr"))})
    problems = validate_tables([dataclasses.replace(lin, rows=[smoke_row] + lin.rows[1:])], check_files=False)
    assert any("'leoclr-r50-100e'" in p and "paper profile only" in p and "smoke" in p for p in problems)
    scenes = next(t for t in tables if t.name == "scenes")
    no_random = dataclasses.replace(scenes, rows=[r for r in scenes.rows if r.method != "random"])
    assert any("no smoke row for 'random'" in p for p in validate_tables([no_random], check_files=False))


def test_load_tables_raises_with_missing_path(tmp_path):
    (tmp_path / "voc_seg.py").write_text(
        "table = 'voc_seg'\ntitle = 't'\nmetrics = ['mIoU']\nstage = 'segmentation'\nnote = ''\n"
        "rows = [dict(row='random-r50', method='random', paper=dict(pretrain=None, downstream='configs/x/nope.py'),"
        " smoke=None)]\n")
    with pytest.raises(TableError, match=r"table 'voc_seg': missing config configs/x/nope.py"):
        load_tables(["voc_seg"], tables_dir=tmp_path)


def test_profile_coverage_follows_contract(tables):
    """contracts.md §1 (v3): smoke and tiny numbers live in the scenes table only; paper tables run in the paper
    profile only (no smoke number under a paper row key)."""
    by_name = {t.name: t for t in tables}
    for (name, profile), methods in COVERAGE.items():
        assert {r.method for r in by_name[name].rows if r.spec(profile)} == set(methods), (name, profile)
    for name in PAPER_ONLY_TABLES:
        assert all(set(r.specs) <= {"paper"} for r in by_name[name].rows), name
        assert by_name[name].applies_to("smoke") and not by_name[name].applies_to("tiny")
    assert all("smoke" in r.specs and set(r.specs) <= {"smoke", "tiny"} for r in by_name["scenes"].rows)
    assert not by_name["scenes"].applies_to("paper")


# ----------------------------------------------------------------------------------------- plan
def test_plan_smoke_ids_dedup_and_seeds(tables):
    p = plan("smoke", (0,), tables=tables, estimates={})
    assert p == plan("smoke", (0,), tables=tables, estimates={})  # deterministic
    assert [r.run_id for r in p.pretrain_runs] == ["leoclr_r18_1xb64-100it_scenes64-s0",
                                                   "mocov2_r18_1xb64-100it_scenes64-s0"]
    ids = [r.run_id for r in p.downstream_runs]
    assert len(ids) == len(set(ids)) == 18  # 6 smoke protocols × 3 methods
    lin = p.run("linear_r18_scenes64--leoclr_r18_1xb64-100it_scenes64-s0-s0")
    assert lin.rows == [("scenes", "leoclr-linear")]
    assert lin.work_dir == "runs/smoke/linear/linear_r18_scenes64--leoclr_r18_1xb64-100it_scenes64-s0-s0"
    assert lin.command() == [
        "python", "-m", "downstream.linear", "configs/linear/smoke/linear_r18_scenes64.py", "--checkpoint",
        "runs/smoke/pretrain/leoclr_r18_1xb64-100it_scenes64-s0/backbone.pth", "--seed", "0", "--profile",
        "smoke", "--work-dir", lin.work_dir, "--rows", "scenes:leoclr-linear"]
    rnd = p.run("fcn_r18-d8_scenes128--random-s0")
    assert rnd.checkpoint_arg() == "random" and rnd.method == "random" and rnd.pretrain_run is None
    assert rnd.command(data_root="/d")[-2:] == ["--data-root", "/d"]
    pre = p.pretrain_runs[0]
    assert pre.command() == ["python", "-m", "pretrain.train", SMOKE_PRE.format("leoclr"), "--seed", "0",
                             "--profile", "smoke", "--work-dir",
                             "runs/smoke/pretrain/leoclr_r18_1xb64-100it_scenes64-s0"]
    assert len(pre.feeds) == 6  # one pretraining run feeds the 6 scenes rows of its method
    # ≥3 seeds repeat pretraining, kNN and linear only
    p3 = plan("smoke", "0,1,2", tables=tables, estimates={})
    assert len(p3.pretrain_runs) == 6
    stages = {}
    for run in p3.downstream_runs:
        stages.setdefault(run.stage, set()).add(run.seed)
    assert stages["knn"] == stages["linear"] == {0, 1, 2}
    assert stages["semisup"] == stages["transfer"] == stages["detection"] == stages["segmentation"] == {0}
    only = plan("smoke", (0,), only="scenes:leoclr-knn", tables=tables, estimates={})
    assert [r.run_id for r in only.runs] == ["leoclr_r18_1xb64-100it_scenes64-s0",
                                             "knn_r18_scenes64--leoclr_r18_1xb64-100it_scenes64-s0-s0"]


def test_plan_paper_lists_every_paper_table(tables):
    p = plan("paper", (0,), tables=tables, data_root="/data")
    assert p.tables == PAPER_TABLES
    fed = {row for run in p.downstream_runs for row in run.rows}
    for table in tables:
        if table.name in SUITE_TABLES:
            continue
        for row in table.rows:
            if not row.is_gap:
                assert (table.name, row.key) in fed, (table.name, row.key)
    # the 800-ep pretraining runs are shared by linear, semisup, transfer, detection and segmentation rows
    leo = p.run("leoclr_r50_8xb32-coslr-800e_in1k-s0")
    assert {t for t, _ in leo.feeds} == {"in1k_linear", "in1k_semisup", "transfer", "voc_det", "coco_det",
                                         "voc_seg"}
    assert len(p.pretrain_runs) == 10  # 3 budgets × 2 methods on IN-1K, + STL-10 and CIFAR-10 × 2
    sup = p.run("faster-rcnn_r50-c4_24k_voc0712--resnet50_supervised-s0")
    assert sup.checkpoint_arg() == "/data/checkpoints/resnet50_supervised.pth"
    assert sup.command()[-2:] == ["--data-root", "/data"]
    assert sup.command()[2:7] == ["downstream.detection", "configs/detection/faster-rcnn_r50-c4_24k_voc0712.py",
                                  "--checkpoint", "/data/checkpoints/resnet50_supervised.pth", "--method"]
    assert p.run("finetune_r50_pets--random-s0").command()[2] == "downstream.finetune"  # transfer fine-tuning
    assert p.run("linear_r50_pets--random-s0").command()[2] == "downstream.linear"      # transfer linear probe
    assert p.run("linear_r50_pets--random-s0").work_dir == "runs/paper/transfer/linear_r50_pets--random-s0"
    assert p.run("leoclr_r50_8xb32-coslr-200e_in1k-s0").estimate.amount == pytest.approx(1.25 * 424, abs=1)
    assert all(run.estimate is not None for run in p.runs)
    assert "GPU-h" in p.summary()


# ----------------------------------------------------------------------------------------- report
def _record(runs, profile, stage, run_id, seed, method, rows, metrics, **extra):
    run_dir = runs / profile / stage / run_id
    run_dir.mkdir(parents=True)
    rec = {"schema": 1, "stage": stage, "profile": profile, "run_id": run_id, "config": "c.py",
           "config_sha256": "x", "git_commit": "abc123", "seed": seed, "inputs": {}, "method": method,
           "metrics": metrics, "rows": [{"table": t, "row": r} for t, r in rows], "curves": None,
           "hardware": {}, "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:10:00+00:00",
           "wall_s": 60.0, "status": "finished", "error": None}
    rec.update(extra)
    (run_dir / "record.json").write_text(json.dumps(rec))
    return run_dir


def _lines(path):
    return {(l["row"], l["metric"]): l for l in csv.DictReader(open(path, newline=""))}


def test_report_paper_joins_reference_seeds_and_missing(tmp_path, tables):
    runs, out = tmp_path / "runs", tmp_path / "results"
    leo, moco = [70.0, 71.0, 72.0], [66.0, 66.5, 67.5]
    for seed in range(3):
        _record(runs, "paper", "linear", f"lin--leo-s{seed}", seed, "leoclr", [("in1k_linear", "leoclr-r50-800e")],
                {"top1": leo[seed], "top5": 90.0})
        _record(runs, "paper", "linear", f"lin--moco-s{seed}", seed, "mocov2",
                [("in1k_linear", "mocov2-r50-800e")], {"top1": moco[seed], "top5": 88.0})
    _record(runs, "paper", "linear", "lin--random-s0", 0, "random", [("in1k_linear", "random-r50")],
            {"top1": 5.0, "top5": 12.0})
    _record(runs, "paper", "linear", "failed-s0", 0, "leoclr", [("in1k_linear", "leoclr-r50-100e")],
            {"top1": 1.0}, status="failed")
    results = report.write_report("paper", runs, out, only=["in1k_linear", "voc_det"], tables=tables,
                                  figures=False, now="2026-02-03T00:00:00+00:00")
    assert {r.table.name: r.status for r in results} == {"in1k_linear": "partial", "voc_det": "none"}
    lines = _lines(out / "paper" / "in1k_linear.csv")
    assert list(next(iter(lines.values())).keys()) == list(aggregate.OUR_COLUMNS)
    top1 = lines[("leoclr-r50-800e", "top1")]
    assert float(top1["ours"]) == pytest.approx(71.0) and top1["n_seeds"] == "3"
    assert float(top1["std"]) == pytest.approx(1.0)
    assert (top1["paper"], top1["paper_status"]) == ("76.2", "derived")
    assert float(top1["delta"]) == pytest.approx(71.0 - 76.2)
    assert float(top1["delta_vs_mocov2"]) == pytest.approx(71.0 - sum(moco) / 3, abs=1e-3)
    assert float(top1["delta_vs_random"]) == pytest.approx(66.0)
    assert top1["run_id"] == "lin--leo-s0;lin--leo-s1;lin--leo-s2"
    gap = lines[("gap-leoclr-mocov2-r50-800e", "top1")]
    assert float(gap["ours"]) == pytest.approx(sum(leo) / 3 - sum(moco) / 3, abs=1e-3) and gap["paper"] == "5.1"
    diffs = [a - b for a, b in zip(leo, moco)]  # paired by seed
    mean = sum(diffs) / 3
    assert float(gap["std"]) == pytest.approx(math.sqrt(sum((d - mean) ** 2 for d in diffs) / 2), abs=1e-3)
    # missing runs (and the failed record) are "missing" with empty numbers, never 0
    for key in [("leoclr-r50-100e", "top1"), ("supervised-r50", "top5")]:
        assert lines[key]["state"] == "missing" and lines[key]["ours"] == "" and lines[key]["delta"] == ""
    assert lines[("leoclr-r50-100e", "top1")]["paper_status"] == "pending"
    assert lines[("mocov2-r50-200e", "top1")]["paper"] == "67.5"
    seeds = list(csv.DictReader(open(out / "paper" / "seeds.csv")))
    assert {(s["row"], s["metric"]) for s in seeds} >= {("leoclr-r50-800e", "top1"), ("mocov2-r50-800e", "top1")}
    assert not (out / "paper" / "voc_det.csv").exists()  # no records, nothing committed: nothing written
    readme = (out / "paper" / "README.md").read_text()
    assert "71.00 ± 1.00 (n=3)" in readme and "76.2 (derived)" in readme and "pending" in readme
    assert "missing" in readme and "Not run yet" in readme
    assert "scenes" not in {r.table.name for r in results}


def test_report_smoke_deltas_disclaimer_figures(tmp_path, tables):
    runs, out = tmp_path / "runs", tmp_path / "results"
    knn = {"leoclr": 40.0, "mocov2": 35.0, "random": 38.0}
    for method, value in knn.items():
        _record(runs, "smoke", "knn", f"knn--{method}-s0", 0, method, [("scenes", f"{method}-knn")],
                {"knn_top1": value})
        _record(runs, "smoke", "linear", f"lin--{method}-s0", 0, method, [("scenes", f"{method}-linear")],
                {"top1": value + 10, "top5": 99.0})
    for method in ("leoclr", "mocov2"):
        run_dir = _record(runs, "smoke", "pretrain", f"{method}-s0", 0, method, [], {"knn_top1": 30.0},
                          curves="curves.csv")
        (run_dir / "curves.csv").write_text(
            "step,epoch,loss,lr,knn_top1,pos_sim,neg_sim\n10,0.1,8.0,0.01,,0.5,0.1\n20,0.2,7.5,0.01,31.0,0.6,0.1\n")
    results = report.write_report("smoke", runs, out, tables=tables, now="2026-02-03T00:00:00+00:00")
    status = {r.table.name: r.status for r in results}
    assert status["scenes"] == "partial"
    assert all(status[t] == "no runs" for t in PAPER_TABLES)  # smoke numbers live in the scenes table only
    assert results[0].table.name == "scenes"
    scenes = _lines(out / "smoke" / "scenes.csv")
    leo = scenes[("leoclr-knn", "knn_top1")]
    assert float(leo["delta_vs_mocov2"]) == pytest.approx(5.0) and float(leo["delta_vs_random"]) == pytest.approx(2)
    assert leo["paper"] == leo["delta"] == leo["paper_status"] == ""
    assert scenes[("leoclr-det", "AP")]["state"] == "missing" and scenes[("leoclr-det", "AP")]["ours"] == ""
    assert {leo["profile"]} == {l["profile"] for l in scenes.values()} == {"smoke"}
    for table in PAPER_TABLES:  # every paper row says so and carries no number
        lines = _lines(out / "smoke" / f"{table}.csv").values()
        assert {l["state"] for l in lines} == {"paper profile only"} and {l["ours"] for l in lines} == {""}
    readme = (out / "smoke" / "README.md").read_text()
    assert readme.splitlines()[2] == "> " + report.SMOKE_DISCLAIMER
    assert "Paper profile only (72 rows)" in readme and "Chance level: 8.33 %" in readme
    for name in ("scenes.png", "pretrain_curves.png"):
        assert (out / "smoke" / "figures" / name).stat().st_size > 1000
    assert not (out / "smoke" / "figures" / "in1k_linear.png").exists()  # nothing to plot
    assert not (out / "smoke" / "seeds.csv").exists()  # one seed only


def test_report_keeps_committed_tables(tmp_path, tables):
    runs, out = tmp_path / "runs", tmp_path / "results"
    committed = out / "paper" / "voc_det.csv"
    committed.parent.mkdir(parents=True)
    old = dict(table="voc_det", row="mocov2-r50-800e", profile="paper", method="mocov2", arch="r50",
               pretrain_dataset="in1k", pretrain_epochs="800", eval_dataset="voc0712",
               protocol="faster-rcnn-r50-c4-24k", metric="AP50", state="ok", ours="82.0", n_seeds="1", paper="82.5",
               paper_status="moco-v2", delta="-0.5", run_id="old-run", record="old/record.json")
    aggregate.write_csv(committed, aggregate.OUR_COLUMNS, [{k: old.get(k, "") for k in aggregate.OUR_COLUMNS}])
    before = committed.read_bytes()
    (out / "paper" / "provenance.json").write_text(json.dumps(
        {"tables": {"voc_det": {"generated": "2025-12-24T10:00:00+00:00", "status": "complete"}}}))
    runs.mkdir()
    results = report.write_report("paper", runs, out, only=["voc_det"], tables=tables, figures=False)
    assert committed.read_bytes() == before
    assert results[0].source == "committed" and results[0].committed_date == "2025-12-24"
    assert "From committed run 2025-12-24" in (out / "paper" / "README.md").read_text()
    # an incomplete new set does not replace a committed complete table ...
    _record(runs, "paper", "detection", "det--leo-s0", 0, "leoclr", [("voc_det", "leoclr-r50-800e")],
            {"AP50": 83.0, "AP": 58.0, "AP75": 65.0})
    report.write_report("paper", runs, out, only=["voc_det"], tables=tables, figures=False)
    assert committed.read_bytes() == before
    # ... unless asked; then missing rows are marked, the reference joined
    report.write_report("paper", runs, out, only=["voc_det"], tables=tables, figures=False, allow_partial=True)
    lines = _lines(committed)
    assert lines[("leoclr-r50-800e", "AP50")]["ours"] == "83" and lines[("mocov2-r50-800e", "AP50")]["state"] == \
        "missing"
    assert lines[("mocov2-r50-800e", "AP50")]["paper"] == "82.5"
