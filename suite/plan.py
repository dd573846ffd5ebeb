"""Paper tables → validated rows → the run plan (contracts.md §3).

This module is the last arrow: from the tables `suite.tables` loads and validates, the pretraining and downstream
runs one profile needs, with deterministic run ids, work dirs, the rows each run feeds, a command line and a compute
estimate. Identical runs feeding several rows (or tables) appear once.

    python -m suite.tables --profile smoke --seeds 0,1,2 [--only in1k_linear,scenes] [--json]
    python -m suite.tables --validate

API (used by the orchestrator and `--dry-run`):
    plan(profile, seeds=(0,), only=None, data_root=None, *, runs_dir='runs', check_files=True) -> Plan
        Plan.pretrain_runs: list[PretrainRun]; Plan.downstream_runs: list[DownstreamRun]; Plan.skipped_rows
        run.command(data_root=None) -> list[str]; run.estimate -> Estimate | None
    runner_module(stage, downstream_config) -> str        (downstream.<stage>; transfer: linear | finetune)
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from suite.tables import PROFILES, STAGES, TABLES_DIR, TableError, load_tables, missing_files, profile_key

ESTIMATES_FILE = TABLES_DIR / "_estimates.py"
# contracts.md §3: "the ≥ 3-seed repeat covers pretraining, kNN and linear evaluation"; other stages use seeds[0].
REPEAT_STAGES = ("knn", "linear")
DEFAULT_DATA_ROOT = "data"


def runner_module(stage: str, downstream_config: str) -> str:
    """The module that runs a downstream config: `downstream.<stage>`, except transfer, whose linear probes run
    in `downstream.linear` and fine-tuning in `downstream.finetune` (the config's `stage` names the run dir)."""
    if stage == "transfer":
        return "downstream.finetune" if Path(downstream_config).stem.startswith("finetune") else "downstream.linear"
    return f"downstream.{stage}"


@dataclass(frozen=True)
class Estimate:
    amount: float
    unit: str

    def __str__(self) -> str:
        return f"{self.amount:g} {self.unit}"


def load_estimates(path=None) -> dict:
    """{profile: ({config: amount}, unit)} from configs/tables/_estimates.py (`<profile key> = {...}` and
    `<profile key>_unit`; GPU-hours for the paper profile and CPU-minutes for the others unless it says)."""
    from mmengine.config import Config

    path = Path(path or ESTIMATES_FILE)
    cfg = Config.fromfile(str(path)) if path.exists() else {}
    return {p: (dict(cfg.get(profile_key(p), {})),
                cfg.get(f"{profile_key(p)}_unit", "GPU-h" if p == "paper" else "CPU-min")) for p in PROFILES}


def _estimate(estimates: dict, profile: str, config: str) -> Estimate | None:
    table, unit = estimates.get(profile, ({}, ""))
    return Estimate(float(table[config]), unit) if config in table else None


def _flag_args(profile, seed, work_dir, data_root):
    args = ["--seed", str(seed), "--profile", profile, "--work-dir", work_dir]
    return args + (["--data-root", data_root] if data_root else [])


@dataclass
class PretrainRun:
    run_id: str
    config: str
    seed: int
    profile: str
    method: str
    work_dir: str
    feeds: list = field(default_factory=list)     # (table, row) fed through the downstream runs using it
    estimate: Estimate | None = None
    data_root: str | None = None
    stage: str = "pretrain"

    @property
    def backbone(self) -> str:
        return f"{self.work_dir}/backbone.pth"

    def command(self, data_root=None, python: str = "python") -> list[str]:
        """`python -m pretrain.train CFG --seed S --profile P --work-dir W [--data-root R]`."""
        root = data_root if data_root is not None else self.data_root
        return [python, "-m", "pretrain.train", self.config] + _flag_args(self.profile, self.seed, self.work_dir,
                                                                          root)

    def to_dict(self) -> dict:
        return {"stage": self.stage, "run_id": self.run_id, "config": self.config, "seed": self.seed,
                "profile": self.profile, "method": self.method, "work_dir": self.work_dir,
                "backbone": self.backbone, "feeds": [f"{t}:{r}" for t, r in self.feeds],
                "estimate": str(self.estimate) if self.estimate else None, "command": self.command()}


@dataclass
class DownstreamRun:
    stage: str
    config: str
    source: str                 # 'pretrain' | 'random' | 'file'
    checkpoint: str             # pretrain run id | 'random' | file path template (may hold `{data_root}`)
    run_id: str
    seed: int
    profile: str
    method: str
    work_dir: str
    rows: list = field(default_factory=list)      # (table, row) this run feeds
    estimate: Estimate | None = None
    pretrain_run: str | None = None               # run id of the pretraining run it needs
    pretrain_work_dir: str | None = None
    data_root: str | None = None
    runner: str | None = None                     # python module, e.g. downstream.linear

    def checkpoint_arg(self, data_root=None) -> str:
        """What `--checkpoint` receives: the pretraining run's backbone.pth, 'random', or the file path."""
        if self.source == "pretrain":
            return f"{self.pretrain_work_dir}/backbone.pth"
        if self.source == "random":
            return "random"
        root = data_root if data_root is not None else self.data_root
        return self.checkpoint.format(data_root=root or DEFAULT_DATA_ROOT)

    @property
    def rows_arg(self) -> str:
        return ",".join(f"{t}:{r}" for t, r in self.rows)

    def command(self, data_root=None, python: str = "python") -> list[str]:
        """`python -m <runner> CFG --checkpoint C [--method M] --seed S --profile P --work-dir W --rows t:r,...
        [--data-root R]`; the runner is `downstream.<stage>` (transfer: `downstream.linear|finetune`), and
        `--method` is passed for checkpoint files (e.g. supervised), whose method no sidecar records."""
        root = data_root if data_root is not None else self.data_root
        runner = self.runner or runner_module(self.stage, self.config)
        method = ["--method", self.method] if self.source == "file" else []
        return ([python, "-m", runner, self.config, "--checkpoint", self.checkpoint_arg(root)] + method
                + _flag_args(self.profile, self.seed, self.work_dir, None) + ["--rows", self.rows_arg]
                + (["--data-root", root] if root else []))

    def to_dict(self) -> dict:
        return {"stage": self.stage, "run_id": self.run_id, "config": self.config, "source": self.source,
                "checkpoint": self.checkpoint_arg(), "pretrain_run": self.pretrain_run, "seed": self.seed,
                "profile": self.profile, "method": self.method, "work_dir": self.work_dir,
                "rows": [f"{t}:{r}" for t, r in self.rows],
                "estimate": str(self.estimate) if self.estimate else None, "command": self.command()}


@dataclass
class Plan:
    profile: str
    seeds: tuple
    pretrain_runs: list
    downstream_runs: list
    skipped_rows: list          # (table, row, reason): rows that have no run in this profile
    tables: list                # table ids covered
    data_root: str | None = None

    @property
    def runs(self) -> list:
        """Every run in execution order: pretraining first, then downstream."""
        return list(self.pretrain_runs) + list(self.downstream_runs)

    def run(self, run_id: str):
        for run in self.runs:
            if run.run_id == run_id:
                return run
        raise KeyError(run_id)

    def estimate_total(self) -> dict:
        """{unit: total} over the runs that have an estimate, plus 'unestimated': number of runs without."""
        totals, missing = {}, 0
        for run in self.runs:
            if run.estimate is None:
                missing += 1
            else:
                totals[run.estimate.unit] = totals.get(run.estimate.unit, 0.0) + run.estimate.amount
        if missing:
            totals["unestimated runs"] = missing
        return totals

    def to_dict(self) -> dict:
        return {"profile": self.profile, "seeds": list(self.seeds), "tables": list(self.tables),
                "pretrain_runs": [r.to_dict() for r in self.pretrain_runs],
                "downstream_runs": [r.to_dict() for r in self.downstream_runs],
                "skipped_rows": [{"table": t, "row": r, "reason": why} for t, r, why in self.skipped_rows],
                "estimate_total": self.estimate_total()}

    def summary(self) -> str:
        """Human-readable dry-run listing."""
        lines = [f"plan: profile {self.profile}, seeds {','.join(map(str, self.seeds))}, tables "
                 f"{', '.join(self.tables)}",
                 f"{len(self.pretrain_runs)} pretraining runs, {len(self.downstream_runs)} downstream runs; "
                 f"estimate {_fmt_totals(self.estimate_total())}", ""]
        for run in self.pretrain_runs:
            lines.append(f"[pretrain] {run.run_id}  ({run.estimate or 'no estimate'})")
            lines.append("    " + " ".join(run.command()))
        for run in self.downstream_runs:
            lines.append(f"[{run.stage}] {run.run_id}  ({run.estimate or 'no estimate'}) -> {run.rows_arg}")
            lines.append("    " + " ".join(run.command()))
        if self.skipped_rows:
            lines.append("")
            lines.append(f"{len(self.skipped_rows)} rows without a run in this profile:")
            groups: dict = {}
            for t, r, why in self.skipped_rows:
                groups.setdefault((t, why if not why.startswith("derived") else "derived"), []).append(r)
            for (t, why), keys in groups.items():
                shown = ", ".join(keys[:4]) + (f", … ({len(keys)} rows)" if len(keys) > 4 else "")
                lines.append(f"    {t}: {why}: {shown}")
        return "\n".join(lines)


def _fmt_totals(totals: dict) -> str:
    return ", ".join(f"{v:g} {k}" for k, v in totals.items()) or "none"


def downstream_run_id(config: str, source_id: str, seed: int) -> str:
    """`<downstream config stem>--<backbone run_id | random | file stem>-s<seed>` (contracts.md §3)."""
    return f"{Path(config).stem}--{source_id}-s{seed}"


def pretrain_run_id(config: str, seed: int) -> str:
    """`<config stem>-s<seed>` (contracts.md §3)."""
    return f"{Path(config).stem}-s{seed}"


def _parse_only(only, tables_by_name) -> tuple[list[str], set | None]:
    """`only`: table ids and/or `table:row` entries (list or comma-separated string)."""
    if not only:
        return list(tables_by_name), None
    items = only.split(",") if isinstance(only, str) else list(only)
    names, rows = [], set()
    for item in filter(None, (i.strip() for i in items)):
        table, _, row = item.partition(":")
        if table not in tables_by_name:
            raise TableError(f"--only {item!r}: no table {table!r} (tables: {', '.join(tables_by_name)})")
        if row:
            tables_by_name[table].row(row)  # KeyError names it
            rows.add((table, row))
        if table not in names:
            names.append(table)
    whole = {n for n in names if not any(t == n for t, _ in rows)}
    selected = {(t, r.key) for t in whole for r in tables_by_name[t].rows} | rows
    return names, selected


def plan(profile: str, seeds=(0,), only=None, data_root=None, *, runs_dir: str = "runs", check_files: bool = True,
         tables=None, estimates=None, repeat_stages=REPEAT_STAGES) -> Plan:
    """The runs `profile` needs for the selected tables (`only`: table ids or `table:row`, default all that
    apply), for `seeds`. Pretraining, kNN and linear runs repeat for every seed; the other stages run with
    seeds[0] (contracts.md §3). Run ids are deterministic; a run feeding several rows appears once."""
    if profile not in PROFILES:
        raise TableError(f"profile {profile!r} not in {PROFILES}")
    seeds = tuple(int(s) for s in (seeds.split(",") if isinstance(seeds, str) else seeds))
    if not seeds or len(set(seeds)) != len(seeds):
        raise TableError(f"seeds {seeds}: give distinct seeds")
    tables = tables if tables is not None else load_tables(check_files=check_files)
    tables_by_name = {t.name: t for t in tables if t.applies_to(profile)}
    names, selected = _parse_only(only, tables_by_name)
    estimates = estimates if estimates is not None else load_estimates()

    pretrain_runs: dict[str, PretrainRun] = {}
    downstream_runs: dict[str, DownstreamRun] = {}
    skipped = []
    for name in names:
        table = tables_by_name[name]
        for row in table.rows:
            if selected is not None and (name, row.key) not in selected:
                continue
            if row.is_gap:
                skipped.append((name, row.key, f"derived: {row.gap[0]} − {row.gap[1]}"))
                continue
            spec = row.spec(profile)
            if spec is None:
                skipped.append((name, row.key, f"{'/'.join(row.profiles) or 'no'} profile only"))
                continue
            run_seeds = seeds if row.stage in repeat_stages else seeds[:1]
            for seed in run_seeds:
                pre = None
                if spec.source_kind == "pretrain":
                    pre_id = pretrain_run_id(spec.pretrain, seed)
                    pre = pretrain_runs.get(pre_id)
                    if pre is None:
                        pre = pretrain_runs[pre_id] = PretrainRun(
                            run_id=pre_id, config=spec.pretrain, seed=seed, profile=profile, method=row.method,
                            work_dir=f"{runs_dir}/{profile}/pretrain/{pre_id}",
                            estimate=_estimate(estimates, profile, spec.pretrain), data_root=data_root)
                    elif pre.method != row.method:
                        raise TableError(f"pretraining run {pre_id}: rows disagree on the method "
                                         f"({pre.method!r} vs {row.method!r} in {name}:{row.key})")
                    source_id, checkpoint = pre_id, pre_id
                elif spec.source_kind == "file":
                    checkpoint = spec.checkpoint
                    source_id = Path(spec.checkpoint).stem
                else:
                    source_id = checkpoint = "random"
                run_id = downstream_run_id(spec.downstream, source_id, seed)
                run = downstream_runs.get(run_id)
                if run is None:
                    run = downstream_runs[run_id] = DownstreamRun(
                        stage=row.stage, config=spec.downstream, source=spec.source_kind, checkpoint=checkpoint,
                        run_id=run_id, seed=seed, profile=profile, method=row.method,
                        work_dir=f"{runs_dir}/{profile}/{row.stage}/{run_id}",
                        estimate=_estimate(estimates, profile, spec.downstream),
                        pretrain_run=pre.run_id if pre else None, pretrain_work_dir=pre.work_dir if pre else None,
                        data_root=data_root, runner=spec.runner)
                elif (run.stage, run.method) != (row.stage, row.method):
                    raise TableError(f"run {run_id}: {name}:{row.key} wants stage/method {row.stage}/{row.method},"
                                     f" another row {run.stage}/{run.method}")
                if (name, row.key) not in run.rows:
                    run.rows.append((name, row.key))
                if pre is not None and (name, row.key) not in pre.feeds:
                    pre.feeds.append((name, row.key))
    ordered = sorted(downstream_runs.values(), key=lambda run: STAGES.index(run.stage))  # stable: kNN first
    return Plan(profile=profile, seeds=seeds, pretrain_runs=list(pretrain_runs.values()),
                downstream_runs=ordered, skipped_rows=skipped, tables=names,
                data_root=data_root)


# ------------------------------------------------------------------------------------------------------ CLI
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.tables", description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=PROFILES, default="smoke")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    ap.add_argument("--only", default=None, help="table ids and/or table:row, comma-separated")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--json", action="store_true", help="print the plan as JSON")
    ap.add_argument("--validate", action="store_true", help="only validate the table configs")
    ap.add_argument("--no-check-files", action="store_true",
                    help="do not require the referenced config files to exist (lists them instead)")
    args = ap.parse_args(argv)
    check_files = not args.no_check_files
    try:
        tables = load_tables(check_files=check_files)
        if args.validate:
            missing = missing_files(tables)
            print(f"{len(tables)} tables, {sum(len(t.rows) for t in tables)} rows: valid"
                  + (f"; {len(missing)} referenced configs missing:\n  " + "\n  ".join(missing) if missing else ""))
            return 0
        result = plan(args.profile, args.seeds, args.only, args.data_root, runs_dir=args.runs_dir,
                      tables=tables)
    except (TableError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0
