"""Paper tables → validated rows → the run plan (contracts.md §3).

`configs/tables/<table_id>.py` is the one source for which runs feed which row. This module loads those files,
validates them (unique row keys, existing config files, agreement with `results/reference/<table_id>.csv`, the
smoke coverage of contracts.md §1) and turns them into a plan: the pretraining and downstream runs one profile
needs, with deterministic run ids, work dirs, the rows each run feeds, a command line and a compute estimate.
Identical runs feeding several rows (or tables) appear once.

    python -m suite.tables --profile smoke --seeds 0,1,2 [--only in1k_linear,scenes] [--json]
    python -m suite.tables --validate

API (used by the orchestrator and `--dry-run`):
    load_tables(names=None, *, validate=True, check_files=True) -> list[Table]
    validate_tables(tables, *, check_files=True, check_reference=True) -> list[str]     (problems; [] if fine)
    read_reference(table_id) -> list[dict]
    plan(profile, seeds=(0,), only=None, data_root=None, *, runs_dir='runs', check_files=True) -> Plan
        Plan.pretrain_runs: list[PretrainRun]; Plan.downstream_runs: list[DownstreamRun]; Plan.skipped_rows
        run.command(data_root=None) -> list[str]; run.estimate -> Estimate | None
    runner_module(stage, downstream_config) -> str        (downstream.<stage>; transfer: linear | finetune)
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLES_DIR = REPO_ROOT / "configs" / "tables"
REFERENCE_DIR = REPO_ROOT / "results" / "reference"
ESTIMATES_FILE = TABLES_DIR / "_estimates.py"

TABLE_IDS = ("in1k_linear", "in1k_semisup", "transfer", "voc_det", "small_datasets", "coco_det", "voc_seg",
             "scenes", "cifar10")
# The suite's own tables (contracts.md §3): no reference CSV and no paper rows; the paper tables run only in the
# paper profile (in smoke they are rendered empty, each row saying "paper profile only").
SUITE_TABLES = ("scenes", "cifar10")
# contracts.md §1. A table config names each profile's run of a row under the profile's key (`cifar10-gpu` is
# spelled `cifar10_gpu`, a Python name).
PROFILES = ("smoke", "tiny", "paper", "cifar10", "cifar10-gpu")
STAGES = ("pretrain", "knn", "linear", "semisup", "transfer", "detection", "segmentation")
METHODS = ("leoclr", "mocov2", "random", "supervised", "external")
PRETRAINED_METHODS = ("leoclr", "mocov2")
METRICS = ("top1", "top5", "top1_last", "mean_per_class_acc", "knn_top1", "AP", "AP50", "AP75", "mask_AP", "mask_AP50", "mask_AP75", "mIoU", "aAcc")
DESCRIPTORS = ("arch", "pretrain_dataset", "pretrain_epochs", "eval_dataset", "protocol")
REFERENCE_COLUMNS = ("table", "row", "method", "arch", "pretrain_dataset", "pretrain_epochs", "eval_dataset",
                     "protocol", "metric", "value", "status", "source")
REFERENCE_STATUSES = ("paper", "moco-v2", "derived", "pending")
# contracts.md §3: "the ≥ 3-seed repeat covers pretraining, kNN and linear evaluation"; other stages use seeds[0].
REPEAT_STAGES = ("knn", "linear")
# contracts.md §1: which methods each profile's own table covers.
COVERAGE = {("scenes", "smoke"): ("leoclr", "mocov2", "random"), ("scenes", "tiny"): ("leoclr", "mocov2", "random"),
            ("cifar10", "cifar10"): ("leoclr", "mocov2", "random"),
            ("cifar10", "cifar10-gpu"): ("leoclr", "mocov2", "random")}
PAPER_ONLY_TABLES = tuple(t for t in TABLE_IDS if t not in SUITE_TABLES)
DEFAULT_DATA_ROOT = "data"
_SPEC_KEYS = ("pretrain", "downstream", "checkpoint", "runner")
_GOAL_KEYS = ("metric", "margin", "rows", "over")
_ROW_KEYS = ("row", "method", "stage", "metrics", "gap", "compare") + DESCRIPTORS


def profile_key(profile: str) -> str:
    """The key a table config gives a profile's run of a row: the profile name as a Python name."""
    return profile.replace("-", "_")


class TableError(ValueError):
    """A table config is inconsistent; the message names the table, the row and the problem."""


# ---------------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class RunSpec:
    """What one row runs in one profile."""
    downstream: str
    pretrain: str | None = None          # pretraining config, or None (random init / checkpoint file)
    checkpoint: str | None = None        # a backbone file (may contain `{data_root}`), only when pretrain is None
    descriptors: dict = field(default_factory=dict)  # overrides of the row's descriptors in this profile
    runner: str | None = None            # module to run (default: runner_module(stage, downstream))

    @property
    def source_kind(self) -> str:
        """'pretrain' | 'file' | 'random'."""
        if self.pretrain:
            return "pretrain"
        return "file" if self.checkpoint else "random"


@dataclass(frozen=True)
class Row:
    table: str
    key: str
    method: str
    stage: str
    metrics: tuple
    descriptors: dict
    specs: dict = field(default_factory=dict)  # {profile: RunSpec}: what the row runs in each profile
    gap: tuple | None = None             # (minuend row, subtrahend row): a derived row with no run of its own
    compare: dict = field(default_factory=dict)  # explicit {'mocov2': row, 'random': row} for the deltas

    def spec(self, profile: str) -> RunSpec | None:
        return self.specs.get(profile)

    @property
    def profiles(self) -> tuple:
        return tuple(p for p in PROFILES if p in self.specs)

    def describe(self, profile: str) -> dict:
        """The row's descriptors (arch, datasets, epochs, protocol) as they hold in `profile`."""
        spec = self.spec(profile)
        return {**self.descriptors, **(spec.descriptors if spec else {})}

    @property
    def is_gap(self) -> bool:
        return self.gap is not None


@dataclass
class Table:
    name: str
    title: str
    metrics: tuple
    stage: str
    note: str
    rows: list
    path: Path
    # a bar the table's own rows are held to (suite tables): dict(metric, margin, rows, over), rendered by the
    # report as reached / not reached; None for the paper's tables, whose bar is the paper's number
    goal: dict | None = None

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"table {self.name!r} has no row {key!r}")

    @property
    def keys(self) -> list[str]:
        return [row.key for row in self.rows]

    @property
    def is_suite_table(self) -> bool:
        return self.name in SUITE_TABLES

    @property
    def profiles(self) -> tuple:
        """The profiles in which some row of the table runs."""
        return tuple(p for p in PROFILES if any(p in row.specs for row in self.rows))

    def applies_to(self, profile: str) -> bool:
        """Whether the table appears in `profile`'s results: where its rows run, and the paper tables in smoke
        too (rendered empty, every row marked "paper profile only", so the smoke report shows what exists)."""
        return profile in self.profiles or (profile == "smoke" and not self.is_suite_table)

    def baseline(self, row: Row, method: str) -> str | None:
        """Row key of `row`'s MoCo-v2 or random-init counterpart (for delta_vs_mocov2 / delta_vs_random):
        the explicit `compare` entry, else the naming convention (method prefix replaced; for random init the
        `-<N>e` epoch token dropped), if such a row exists."""
        if method in row.compare:
            return row.compare[method]
        if row.is_gap or row.method not in PRETRAINED_METHODS or row.method == method:
            return None
        if method == "random" and row.method not in PRETRAINED_METHODS:
            return None
        rest = row.key.split("-", 1)[1] if "-" in row.key else ""
        if method == "random":
            rest = re.sub(r"(^|-)\d+e(?=-|$)", "", rest).strip("-")
        candidate = f"{method}-{rest}" if rest else method
        return candidate if candidate in self.keys else None


def _spec(table: str, key: str, profile: str, raw) -> RunSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TableError(f"table {table!r} row {key!r} ({profile}): expected dict(downstream=..., ...), got {raw!r}")
    raw = dict(raw)
    unknown = set(raw) - set(_SPEC_KEYS) - set(DESCRIPTORS)
    if unknown:
        raise TableError(f"table {table!r} row {key!r} ({profile}): unknown keys {sorted(unknown)}")
    if not raw.get("downstream"):
        raise TableError(f"table {table!r} row {key!r} ({profile}): no `downstream` config")
    return RunSpec(downstream=raw["downstream"], pretrain=raw.get("pretrain"), checkpoint=raw.get("checkpoint"),
                   descriptors={k: raw[k] for k in DESCRIPTORS if k in raw}, runner=raw.get("runner"))


def runner_module(stage: str, downstream_config: str) -> str:
    """The module that runs a downstream config: `downstream.<stage>`, except transfer, whose linear probes run
    in `downstream.linear` and fine-tuning in `downstream.finetune` (the config's `stage` names the run dir)."""
    if stage == "transfer":
        return "downstream.finetune" if Path(downstream_config).stem.startswith("finetune") else "downstream.linear"
    return f"downstream.{stage}"


def _load_table(path: Path) -> Table:
    from mmengine.config import Config

    cfg = Config.fromfile(str(path))
    name = cfg.get("table")
    if name != path.stem:
        raise TableError(f"{path}: `table = {name!r}` differs from the file name {path.stem!r}")
    for key in ("title", "metrics", "stage", "note", "rows"):
        if key not in cfg:
            raise TableError(f"table {name!r} ({path}): no `{key}`")
    stage = cfg.stage
    rows = []
    for raw in cfg.rows:
        raw = dict(raw)
        key = raw.get("row")
        if not key:
            raise TableError(f"table {name!r}: a row without a `row` key: {raw}")
        unknown = set(raw) - set(_ROW_KEYS) - {profile_key(p) for p in PROFILES}
        if unknown:
            raise TableError(f"table {name!r} row {key!r}: unknown keys {sorted(unknown)}")
        row_stage = raw.get("stage") or stage
        rows.append(Row(
            table=name, key=key, method=raw.get("method"), stage=row_stage,
            metrics=tuple(raw.get("metrics") or cfg.metrics),
            descriptors={k: raw.get(k) for k in DESCRIPTORS},
            specs={p: spec for p in PROFILES
                   if (spec := _spec(name, key, p, raw.get(profile_key(p)))) is not None},
            gap=tuple(raw["gap"]) if raw.get("gap") else None, compare=dict(raw.get("compare") or {})))
    goal = cfg.get("goal")
    if goal is not None:
        goal = dict(goal)
        if set(goal) != set(_GOAL_KEYS):
            raise TableError(f"table {name!r} ({path}): `goal` needs exactly the keys {list(_GOAL_KEYS)}, "
                             f"got {sorted(goal)}")
        goal.update(rows=list(goal["rows"]), over=list(goal["over"]), margin=float(goal["margin"]))
    return Table(name=name, title=cfg.title, metrics=tuple(cfg.metrics), stage=stage, note=cfg.note, rows=rows,
                 path=path, goal=goal)


def load_tables(names=None, *, validate: bool = True, check_files: bool = True, tables_dir=None,
                reference_dir=None, repo_root=None) -> list[Table]:
    """Load `configs/tables/<id>.py` for `names` (default: every table id, in contract order) and, with
    `validate`, raise TableError listing every problem found (see `validate_tables`)."""
    tables_dir = Path(tables_dir or TABLES_DIR)
    names = list(names) if names else list(TABLE_IDS)
    tables = []
    for name in names:
        path = tables_dir / f"{name}.py"
        if not path.exists():
            raise TableError(f"table {name!r}: no table config {path}")
        tables.append(_load_table(path))
    if validate:
        problems = validate_tables(tables, check_files=check_files, reference_dir=reference_dir,
                                   repo_root=repo_root)
        if problems:
            raise TableError("table configs are inconsistent:\n  " + "\n  ".join(problems))
    return tables


def read_reference(table_id: str, reference_dir=None) -> list[dict]:
    """The reference rows of one table (`results/reference/<table_id>.csv`), as dicts of strings; [] if none."""
    path = Path(reference_dir or REFERENCE_DIR) / f"{table_id}.csv"
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _norm(value) -> str:
    return "" if value is None else str(value)


def referenced_files(table: Table) -> list[tuple[str, str, str]]:
    """(row, profile, path) of every config file a table points at (checkpoint files are data, not listed)."""
    out = []
    for row in table.rows:
        for profile in PROFILES:
            spec = row.spec(profile)
            if spec is None:
                continue
            for path in (spec.pretrain, spec.downstream):
                if path:
                    out.append((row.key, profile, path))
    return out


def missing_files(tables, repo_root=None) -> list[str]:
    """Sorted unique config paths that the tables reference and that do not exist (yet)."""
    root = Path(repo_root or REPO_ROOT)
    return sorted({path for table in tables for _, _, path in referenced_files(table) if not (root / path).exists()})


def validate_tables(tables, *, check_files: bool = True, check_reference: bool = True, reference_dir=None,
                    repo_root=None) -> list[str]:
    """Every problem of the table configs, one line each, naming the table (and row, path); [] when fine."""
    root = Path(repo_root or REPO_ROOT)
    problems = []
    seen_tables = set()
    for table in tables:
        t = table.name
        if t in seen_tables:
            problems.append(f"table {t!r}: loaded twice")
        seen_tables.add(t)
        if t not in TABLE_IDS:
            problems.append(f"table {t!r}: not a contract table id {TABLE_IDS}")
        if table.stage not in STAGES + ("mixed",):
            problems.append(f"table {t!r}: stage {table.stage!r} not in {STAGES}")
        for metric in table.metrics:
            if metric not in METRICS:
                problems.append(f"table {t!r}: metric {metric!r} not in {METRICS}")
        keys = [row.key for row in table.rows]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f"table {t!r}: row key {key!r} is used {keys.count(key)} times")
        if table.goal:
            for key in table.goal["rows"] + table.goal["over"]:
                if key not in keys:
                    problems.append(f"table {t!r}: `goal` names row {key!r}, which the table does not have")
            if table.goal["metric"] not in table.metrics:
                problems.append(f"table {t!r}: `goal` metric {table.goal['metric']!r} not in {table.metrics}")
        for row in table.rows:
            where = f"table {t!r} row {row.key!r}"
            if row.method not in METHODS:
                problems.append(f"{where}: method {row.method!r} not in {METHODS}")
            if row.stage not in STAGES or row.stage == "pretrain":
                problems.append(f"{where}: stage {row.stage!r} is not a downstream stage (table stage "
                                f"{table.stage!r}; a 'mixed' table needs a per-row stage)")
            for metric in row.metrics:
                if metric not in METRICS:
                    problems.append(f"{where}: metric {metric!r} not in {METRICS}")
                elif metric not in table.metrics:
                    problems.append(f"{where}: metric {metric!r} is not among the table's metrics")
            if row.is_gap:
                if row.specs:
                    problems.append(f"{where}: a gap row has no runs of its own (drop {', '.join(row.specs)})")
                if len(row.gap) != 2 or any(k not in keys for k in row.gap):
                    problems.append(f"{where}: gap {row.gap} must name two rows of the table")
                continue
            if not row.specs:
                problems.append(f"{where}: runs in no profile (give paper=dict(...) or another profile's)")
            if table.is_suite_table and row.spec("paper") is not None:
                problems.append(f"{where}: the {t!r} table is the suite's own, it has no paper rows")
            if not table.is_suite_table and set(row.specs) - {"paper"}:
                problems.append(f"{where}: a paper table's rows run in the paper profile only (contracts.md §1: "
                                f"other profiles report in their own tables), not in {sorted(set(row.specs) - {'paper'})}")
            for other, target in row.compare.items():
                if other not in ("mocov2", "random") or target not in keys:
                    problems.append(f"{where}: compare {other!r} -> {target!r} is not a row of the table")
            for profile in PROFILES:
                spec = row.spec(profile)
                if spec is None:
                    continue
                at = f"{where} ({profile})"
                if row.method in PRETRAINED_METHODS:
                    if not spec.pretrain:
                        problems.append(f"{at}: method {row.method!r} needs a pretraining config")
                    elif not Path(spec.pretrain).name.startswith(row.method + "_"):
                        problems.append(f"{at}: pretraining config {spec.pretrain} is not a {row.method} config")
                elif spec.pretrain:
                    problems.append(f"{at}: method {row.method!r} takes no pretraining config")
                if row.method == "random" and spec.checkpoint:
                    problems.append(f"{at}: random init takes no checkpoint file")
                if row.method in ("supervised", "external") and not spec.checkpoint:
                    problems.append(f"{at}: method {row.method!r} needs a `checkpoint` file")
                if spec.pretrain and spec.checkpoint:
                    problems.append(f"{at}: both a pretraining config and a checkpoint file")
        if check_files:
            missing = {}
            for key, profile, path in referenced_files(table):
                if not (root / path).exists():
                    missing.setdefault(path, []).append(f"{key} ({profile})")
            for path, users in missing.items():
                problems.append(f"table {t!r}: missing config {path} (rows {', '.join(users)})")
        problems += _check_coverage(table)
        if check_reference and not table.is_suite_table:
            problems += _check_reference(table, reference_dir)
    return problems


def _check_coverage(table: Table) -> list[str]:
    """contracts.md §1: the methods each profile's own table covers."""
    problems = []
    for (name, profile), methods in COVERAGE.items():
        if name != table.name:
            continue
        covered = {row.method for row in table.rows if row.spec(profile) is not None}
        for method in methods:
            if method not in covered:
                problems.append(f"table {table.name!r}: no {profile} row for {method!r} (contracts.md §1)")
    return problems


def _check_reference(table: Table, reference_dir=None) -> list[str]:
    t = table.name
    path = Path(reference_dir or REFERENCE_DIR) / f"{t}.csv"
    if not path.exists():
        return [f"table {t!r}: no reference CSV {path}"]
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = tuple(reader.fieldnames or ())
        ref = list(reader)
    problems = []
    if columns != REFERENCE_COLUMNS:
        problems.append(f"table {t!r}: reference columns {columns} != {REFERENCE_COLUMNS}")
        return problems
    pairs = [(r["row"], r["metric"]) for r in ref]
    for pair in sorted({p for p in pairs if pairs.count(p) > 1}):
        problems.append(f"table {t!r}: reference has (row, metric) {pair} more than once")
    config_keys = set(table.keys)
    ref_keys = {r["row"] for r in ref}
    for key in sorted(ref_keys - config_keys):
        problems.append(f"table {t!r}: reference row {key!r} is not in configs/tables/{t}.py")
    for key in sorted(config_keys - ref_keys):
        problems.append(f"table {t!r}: row {key!r} has no line in {path.name}")
    for r in ref:
        where = f"table {t!r} reference ({r['row']}, {r['metric']})"
        if r["table"] != t:
            problems.append(f"{where}: table column {r['table']!r}")
        if r["status"] not in REFERENCE_STATUSES:
            problems.append(f"{where}: status {r['status']!r} not in {REFERENCE_STATUSES}")
        if r["status"] == "pending" and r["value"].strip():
            problems.append(f"{where}: pending but has a value {r['value']!r}")
        if r["status"] != "pending":
            try:
                float(r["value"])
            except ValueError:
                problems.append(f"{where}: status {r['status']!r} needs a numeric value, got {r['value']!r}")
        if not r["source"].strip():
            problems.append(f"{where}: no source")
        if r["row"] not in config_keys:
            continue
        row = table.row(r["row"])
        if r["metric"] not in row.metrics:
            problems.append(f"{where}: metric not among the row's metrics {row.metrics}")
        if r["method"] != row.method:
            problems.append(f"{where}: method {r['method']!r} != config {row.method!r}")
        described = row.describe("paper")
        for key in DESCRIPTORS:
            if _norm(r[key]) != _norm(described.get(key)):
                problems.append(f"{where}: {key} {r[key]!r} != config {_norm(described.get(key))!r}")
    have = set(pairs)
    for row in table.rows:
        for metric in row.metrics:
            if (row.key, metric) not in have:
                problems.append(f"table {t!r}: ({row.key}, {metric}) has no reference line (add it as pending)")
    return problems


# ----------------------------------------------------------------------------------------------------- plan
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


if __name__ == "__main__":
    sys.exit(main())
