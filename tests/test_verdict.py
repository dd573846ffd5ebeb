"""The LeOCLR vs MoCo-v2 verdict (issue 11): paired seeds, 95 % paired-t interval, a verdict that cannot overclaim,
computed from records; and a regeneration from fewer seeds keeps the committed table."""
import csv
import json

import pytest
from scipy import stats

from suite import report
from suite.tables import load_tables
from suite.verdict import AHEAD, BEHIND, UNRESOLVED, compare_paired, holm, judge, sign_flip_p


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
    assert one.verdict == "not assessed (1 seed, needs ≥ 3)" and one.ci is None and one.p_value is None
    two = compare_paired({0: 20.0, 1: 21.0}, {0: 10.0, 1: 12.0})   # a wide gap, but 2 seeds: not assessed
    assert two.verdict == "not assessed (2 seeds, needs ≥ 3)" and not two.assessed
    unpaired = compare_paired({0: 20.0, 1: 21.0}, {2: 10.0, 3: 11.0})
    assert unpaired.verdict == "not assessed (0 seeds)"


def test_the_committed_probe_triple_reproduces_its_numbers_and_identical_differences_are_not_assessed():
    """The cifar10 probe (LeOCLR − MoCo-v2 per seed +1.83, +3.20, +3.83; 2026-12-02 audit): the unadjusted
    interval [+0.41, +5.49] and p 0.0377 as literals, not recomputed by the same call; the exact sign-flip p is
    2/8 = 0.25, the floor with 3 seeds. Identical differences (sd 0) gave p = 0 and "ahead" before: now not
    assessed."""
    probe = compare_paired({0: 48.74, 1: 48.01, 2: 49.57}, {0: 46.91, 1: 44.81, 2: 45.74})
    assert [round(x, 2) for x in probe.ci] == [0.41, 5.49] and round(probe.p_value, 4) == 0.0377
    assert probe.sign_flip_p == 0.25
    knn = compare_paired({0: 40.81, 1: 40.96, 2: 41.51}, {0: 41.39, 1: 38.60, 2: 40.01})
    probe_j, knn_j = judge([probe, knn])   # Holm over the table's two protocols
    assert round(probe_j.p_holm, 4) == 0.0754 and probe_j.verdict == UNRESOLVED   # 2 × 0.0377 ≥ 0.05
    assert knn_j.p_holm == pytest.approx(knn.p_value) and knn_j.verdict == UNRESOLVED
    same = compare_paired({0: 12.0, 1: 13.0, 2: 14.0}, {0: 10.0, 1: 11.0, 2: 12.0})
    assert not same.assessed and same.verdict == "not assessed (3 seeds, zero spread)"
    assert judge([same])[0].verdict == same.verdict


def test_holm_and_sign_flip_against_hand_computed_values():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert sign_flip_p([1.0, 2.0, 3.0, 4.0]) == 2 / 16          # only all-plus and all-minus reach |sum| 10
    assert sign_flip_p([1.0, -1.0, 2.0]) == 6 / 8           # |±1 ∓ 1 ± 2| ≥ 2 except the two sums of 0


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
    assert knn.rstrip().endswith("| not assessed (1 seed, needs ≥ 3) |")
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
