"""The cifar10-gpu study cut into device calls (issue 21): which parts fit one call's time budget.

A part is what one pipeline command does alone: one pretraining (one method × one seed) with the kNN row that
reads it; then the random-init kNN rows of a seed; then the linear probes of a seed. The seeds are the study's,
fixed in the table config (`study`), never chosen here. Parts whose runs are all finished and fresh (in their
run directories or archived under results/<profile>/records/: `suite.pipeline.run_state`) drop out; the others
are taken in order while their estimates (configs/tables/_estimates.py, GPU-minutes) fit the budget left after
the call's fixed costs.

    python -m suite.gpu_calls --profile cifar10-gpu --time-budget 420          # the plan, for a person
    python -m suite.gpu_calls --profile cifar10-gpu --time-budget 420 --lines  # NAME SECONDS ONLY SEEDS per line

`scripts/cifar10_gpu.sh --time-budget S` runs the parts this prints (`--dry-run` prints them and stops).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from suite.pipeline import run_state
from suite.plan import plan
from suite.tables import TableError, load_tables, profile_key

CALL_OVERHEAD_S = 60  # per call: machine checks, the CIFAR-10 cache from the carried JPEGs, the report, packing


@dataclass
class Part:
    name: str
    only: list[str]
    seed: int
    seconds: float
    runs: list = field(default_factory=list)
    done: bool = False


def _seconds(runs) -> float:
    total = 0.0
    for run in runs:
        if run.estimate is None or run.estimate.unit != "GPU-min":
            raise TableError(f"{run.config}: no GPU-minute estimate in configs/tables/_estimates.py")
        total += run.estimate.amount * 60
    return total


def study_of(profile: str, table: str = "cifar10") -> dict:
    """The study's fixed settings (epochs, seeds, primary metric) from the table config."""
    found = next((t for t in load_tables(check_files=False) if t.name == table), None)
    settings = ((found.study if found is not None else None) or {}).get(profile_key(profile))
    if not settings:
        raise TableError(f"configs/tables/{table}.py has no study for profile {profile!r}")
    return settings


def parts(profile: str = "cifar10-gpu", table: str = "cifar10", runs_dir: str = "runs",
          results_dir: str = "results") -> list[Part]:
    seeds = study_of(profile, table)["seeds"]
    the_plan = plan(profile, seeds=seeds, only=[table], runs_dir=runs_dir, check_files=False)
    archive = Path(results_dir) / profile / "records"
    out = []
    for seed in seeds:
        for pre in (r for r in the_plan.pretrain_runs if r.seed == seed):
            knn = [d for d in the_plan.downstream_runs if d.pretrain_run == pre.run_id and d.stage == "knn"]
            out.append(Part(f"{pre.method}-s{seed}", [f"{t}:{r}" for d in knn for t, r in d.rows], seed,
                            _seconds([pre, *knn]), [pre, *knn]))
    for stage, label in (("knn", "random-knn"), ("linear", "probes")):
        for seed in seeds:
            runs = [d for d in the_plan.downstream_runs if d.stage == stage and d.seed == seed
                    and (stage == "linear" or d.source == "random")]
            if runs:
                out.append(Part(f"{label}-s{seed}", [f"{t}:{r}" for d in runs for t, r in d.rows], seed,
                                _seconds(runs), runs))
    for part in out:  # done: every run finished and still fresh (a stale one is rerun by the pipeline's rules)
        part.done = all(run_state(run, None if run.stage == "pretrain" else run.checkpoint_arg(), archive)[0]
                        == "skip" for run in part.runs)
    return out


def fit(all_parts: list[Part], budget_s: float) -> list[Part]:
    """The parts of this call: the unfinished ones in order, while they fit (a part never runs cut short: a
    pretraining stopped by the deadline would end before its cosine, the failure the study replaces)."""
    chosen, left = [], budget_s - CALL_OVERHEAD_S
    for part in (p for p in all_parts if not p.done):
        if part.seconds > left:
            break
        chosen.append(part)
        left -= part.seconds
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cifar10-gpu")
    parser.add_argument("--table", default="cifar10")
    parser.add_argument("--time-budget", type=float, required=True, help="seconds of this device call")
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--results-dir", default="results")
    parser.add_argument("--lines", action="store_true", help="NAME SECONDS ONLY SEEDS, one part a line")
    args = parser.parse_args(argv)
    try:
        all_parts = parts(args.profile, args.table, args.runs_dir, args.results_dir)
    except TableError as error:
        raise SystemExit(f"error: {error}")
    chosen = fit(all_parts, args.time_budget)
    if args.lines:
        for part in chosen:
            print(part.name, round(part.seconds), ",".join(part.only), part.seed)
        return 0
    study = study_of(args.profile, args.table)
    print(f"{args.profile} study: {study['epochs']} epochs, seeds {study['seeds']}, verdict on {study['primary']}; "
          f"this call: {args.time_budget:.0f} s ({CALL_OVERHEAD_S} s fixed costs)")
    for part in all_parts:
        state = "done" if part.done else ("THIS CALL" if part in chosen else "later")
        print(f"  {part.name:14s} ~{part.seconds:5.0f} s  {state:9s}  --seeds {part.seed} --only {','.join(part.only)}")
    left = [p for p in all_parts if not p.done and p not in chosen]
    if not chosen and left:
        print(f"  nothing fits: the next part needs ~{left[0].seconds:.0f} s + {CALL_OVERHEAD_S} s")
    print(f"  {len(chosen)} part(s) this call, {len(left)} later, {sum(p.done for p in all_parts)} done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
