"""The LeOCLR vs MoCo-v2 verdict (issue 11): paired seeds, 95 % paired-t interval, a verdict that cannot overclaim,
computed from records; and a regeneration from fewer seeds keeps the committed table."""
import csv
import json

import pytest
from scipy import stats

from suite import report
from suite.tables import load_tables
from suite.verdict import AHEAD, BEHIND, UNRESOLVED, compare_paired


def test_ahead_behind_tie_and_single_seed():
    ahead = compare_paired({0: 14.0, 1: 15.0, 2: 16.5}, {0: 12.0, 1: 13.2, 2: 14.1})
    diffs = [2.0, 1.8, 2.4]
    mean, sd = sum(diffs) / 3, stats.tstd(diffs)
    half = stats.t.ppf(0.975, 2) * sd / 3 ** 0.5
    assert ahead.n == 3 and ahead.mean_diff == pytest.approx(mean)
    assert ahead.ci == pytest.approx((mean - half, mean + half))
    assert ahead.p_value == pytest.approx(stats.ttest_rel([14.0, 15.0, 16.5], [12.0, 13.2, 14.1]).pvalue)
    assert ahead.verdict == AHEAD

    behind = compare_paired({0: 10.0, 1: 11.0, 2: 10.5}, {0: 12.0, 1: 12.9, 2: 12.6})
    assert behind.verdict == BEHIND and behind.ci[1] < 0

    # the old rule ("|diff| > spread" counted as a lead) called this a LeOCLR lead: +1.2 with a spread of 0.9
    tie = compare_paired({0: 13.6, 1: 12.4, 2: 13.2}, {0: 15.1, 1: 9.8, 2: 10.7})
    assert tie.verdict == UNRESOLVED and tie.ci[0] < 0 < tie.ci[1]

    one = compare_paired({0: 20.0}, {0: 10.0})
    assert one.verdict == "not assessed (1 seed)" and one.ci is None and one.p_value is None
    unpaired = compare_paired({0: 20.0, 1: 21.0}, {2: 10.0, 3: 11.0})
    assert unpaired.verdict == "not assessed (0 seeds)"


def _record(runs, stage, run_id, seed, method, rows, metrics):
    run_dir = runs / "smoke" / stage / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "record.json").write_text(json.dumps({
        "schema": 1, "stage": stage, "profile": "smoke", "run_id": run_id, "seed": seed, "method": method,
        "metrics": metrics, "rows": [{"table": t, "row": r} for t, r in rows], "status": "finished",
        "wall_s": 1.0, "git_commit": "abc", "finished": "2026-01-01T00:00:00+00:00"}))


def _scenes_linear(runs, seeds, leo, moco):
    for seed in seeds:
        for method, values in (("leoclr", leo), ("mocov2", moco)):
            _record(runs, "linear", f"lin--{method}-s{seed}", seed, method, [("scenes", f"{method}-linear")],
                    {"top1": values[seed], "top5": 50.0})


def test_the_report_prints_the_verdict_from_records(tmp_path):
    runs, out = tmp_path / "runs", tmp_path / "results"
    _scenes_linear(runs, (0, 1, 2), leo=[10.0, 11.0, 10.5], moco=[12.0, 12.9, 12.6])  # MoCo-v2 ahead
    for method, value in (("leoclr", 20.0), ("mocov2", 19.0)):
        _record(runs, "knn", f"knn--{method}-s0", 0, method, [("scenes", f"{method}-knn")], {"knn_top1": value})
    report.write_report("smoke", runs, out, only=["scenes"], tables=load_tables(check_files=False), figures=False)
    readme = (out / "smoke" / "README.md").read_text()
    assert "## LeOCLR vs MoCo-v2 (paired seeds)" in readme
    linear = next(l for l in readme.splitlines() if "`leoclr-linear`" in l and "| top1 |" in l)
    assert "| 3 | -2.00 |" in linear and linear.rstrip().endswith(f"| {BEHIND} |")
    knn = next(l for l in readme.splitlines() if "`leoclr-knn`" in l and "| knn_top1 |" in l)
    assert knn.rstrip().endswith("| not assessed (1 seed) |")
    assert "LeOCLR leads" not in readme


def test_a_regeneration_from_fewer_seeds_keeps_the_committed_table(tmp_path):
    runs3, runs1, out = tmp_path / "runs3", tmp_path / "runs1", tmp_path / "results"
    tables = load_tables(check_files=False)
    _scenes_linear(runs3, (0, 1, 2), leo=[14.0, 15.0, 16.5], moco=[12.0, 13.2, 14.1])
    report.write_report("smoke", runs3, out, only=["scenes"], tables=tables, figures=False)
    committed = (out / "smoke" / "scenes.csv").read_bytes()
    _scenes_linear(runs1, (0,), leo=[30.0], moco=[5.0])
    results = report.write_report("smoke", runs1, out, only=["scenes"], tables=tables, figures=False,
                                  allow_partial=False)
    assert (out / "smoke" / "scenes.csv").read_bytes() == committed
    assert results[0].source == "committed" and "at most 1 seed(s) per row" in results[0].kept_why
    readme = (out / "smoke" / "README.md").read_text()
    assert "committed table 3; not replaced" in readme
    # the verdict stays that of the kept 3-seed table, read back from seeds.csv
    assert "| 3 | +2.07 |" in readme and AHEAD in readme
    seeds = list(csv.DictReader(open(out / "smoke" / "seeds.csv")))
    assert {s["n"] for s in seeds} == {"3"}
