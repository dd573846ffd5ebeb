"""Paper tables → validated rows (contracts.md §3); `suite.plan` turns them into the run plan.

`configs/tables/<table_id>.py` is the one source for which runs feed which row. This module loads those files and
validates them (unique row keys, existing config files, agreement with `results/reference/<table_id>.csv`, the
smoke coverage of contracts.md §1); `suite.plan` turns them into a plan: the pretraining and downstream runs one
profile needs, with deterministic run ids, work dirs, the rows each run feeds, a command line and a compute
estimate. Identical runs feeding several rows (or tables) appear once.

    python -m suite.tables --profile smoke --seeds 0,1,2 [--only in1k_linear,scenes] [--json]
    python -m suite.tables --validate

(the CLI is `suite.plan.main`). API (used by the orchestrator, the plan and the report):
    load_tables(names=None, *, validate=True, check_files=True) -> list[Table]
    validate_tables(tables, *, check_files=True, check_reference=True) -> list[str]     (problems; [] if fine)
    read_reference(table_id) -> list[dict]
"""
from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLES_DIR = REPO_ROOT / "configs" / "tables"
REFERENCE_DIR = REPO_ROOT / "results" / "reference"

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
# contracts.md §1: which methods each profile's own table covers.
COVERAGE = {("scenes", "smoke"): ("leoclr", "mocov2", "random"), ("scenes", "tiny"): ("leoclr", "mocov2", "random"),
            ("cifar10", "cifar10"): ("leoclr", "mocov2", "random"),
            ("cifar10", "cifar10-gpu"): ("leoclr", "mocov2", "random")}
PAPER_ONLY_TABLES = tuple(t for t in TABLE_IDS if t not in SUITE_TABLES)
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
    runner: str | None = None            # module to run (default: suite.plan.runner_module(stage, downstream))

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
    # a study fixed before its first run, per profile key: dict(epochs, seeds, primary) (cifar10-gpu, issue 21)
    study: dict | None = None

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
    study = {key: dict(value) for key, value in (cfg.get("study") or {}).items()}
    for key, value in study.items():
        if key not in map(profile_key, PROFILES) or set(value) != {"epochs", "seeds", "primary"}:
            raise TableError(f"table {name!r} ({path}): `study` maps a profile key to dict(epochs, seeds, primary); "
                             f"got {key!r}: {sorted(value)}")
        if value["primary"] not in cfg.metrics:
            raise TableError(f"table {name!r} ({path}): study primary {value['primary']!r} is not one of its metrics")
    return Table(name=name, title=cfg.title, metrics=tuple(cfg.metrics), stage=stage, note=cfg.note, rows=rows,
                 path=path, goal=goal, study=study or None)


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


if __name__ == "__main__":  # `python -m suite.tables`: the plan's CLI, `suite.plan.main`
    from suite.plan import main
    sys.exit(main())
