"""From the run records to a table's numbers (contracts.md §3): load the finished records of a profile (and archive
those of the long studies), refuse the downstream records that do not follow from their pretraining, index them by
the (table, row) they feed, aggregate seed repeats (mean, sample std, n) and build each table's CSV lines
(`build_table`), with the deltas to the reference, MoCo-v2 and random-init rows. `suite.report` renders them.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from common.records import archive_run
from suite.freshness import LEGACY, STALE, freshness
from suite.labels import MISSING, OK, profile_only, to_float
from suite.tables import DESCRIPTORS, Table

OUR_COLUMNS = ("table", "row", "profile", "method") + DESCRIPTORS + (
    "metric", "state", "ours", "n_seeds", "std", "paper", "paper_status", "delta", "delta_vs_mocov2",
    "delta_vs_random", "flags", "run_id", "record")
SEEDS_COLUMNS = ("table", "row", "profile", "metric", "n", "mean", "std", "min", "max", "seeds", "values", "run_ids")


# ------------------------------------------------------------------------------------------------- records
# contracts.md §1 (v4): long studies whose finished records (and curves) are committed under
# results/<profile>/records/, so that the table can be rebuilt from the repository alone.
ARCHIVED_PROFILES = ("cifar10", "cifar10-gpu")


def load_records(runs_dir, profile: str, warnings: list | None = None, base=None) -> list[dict]:
    """Finished records under `<runs_dir>/<profile>/<stage>/<run_id>/record.json` (or `base/<stage>/<run_id>/`;
    moved-aside `.old-` / `.failed-` runs skipped). Each gets `_path` (the record file) and `_dir` (its run
    directory)."""
    warnings = warnings if warnings is not None else []
    base = Path(base) if base is not None else Path(runs_dir) / profile
    records = []
    for path in sorted(base.glob("*/*/record.json")):
        if any(tag in path.parent.name for tag in (".old-", ".failed-", ".superseded-")):
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            warnings.append(f"{path}: unreadable record ({err}); ignored")
            continue
        if record.get("status") != "finished":
            continue
        if record.get("profile", profile) != profile:
            warnings.append(f"{path}: profile {record.get('profile')!r} under runs/{profile}; ignored")
            continue
        record["_path"] = path.as_posix()
        record["_dir"] = path.parent.as_posix()
        records.append(record)
    return records


def _seed_of(record) -> object:
    seed = record.get("seed")
    return seed if seed is not None else record.get("run_id")


def index_records(records, tables, warnings: list | None = None) -> dict:
    """{(table, row): {seed: record}} through each record's `rows`; for a repeated seed the latest finished
    record wins (with a warning)."""
    warnings = warnings if warnings is not None else []
    known = {(t.name, r.key) for t in tables for r in t.rows}
    by_row: dict = {}
    for record in records:
        for entry in record.get("rows") or []:
            key = (entry.get("table"), entry.get("row"))
            if key not in known:
                warnings.append(f"{record['_path']}: feeds unknown row {key[0]}:{key[1]}; ignored for it")
                continue
            seeds = by_row.setdefault(key, {})
            seed = _seed_of(record)
            old = seeds.get(seed)
            if old is not None:
                keep = max(old, record, key=lambda r: str(r.get("finished") or ""))
                warnings.append(f"{key[0]}:{key[1]} seed {seed}: records {old['run_id']} and {record['run_id']}; "
                                f"using {keep['run_id']}")
                record = keep
            seeds[seed] = record
    return by_row


def pretraining_of(record: dict, pretrain_by_run: dict) -> dict | None:
    """The pretraining record a downstream record's backbone came from (by the export sidecar's run_id)."""
    sidecar = ((record.get("backbone") or {}).get("sidecar") or {})
    return pretrain_by_run.get(sidecar.get("run_id")) if sidecar.get("run_id") else None


def check_chain(records: list[dict], warnings: list) -> list[dict]:
    """Refuse (leave out, with a warning naming both) a downstream record that does not follow from its
    pretraining record: its input checkpoint's sha256 is not the pretraining's exported backbone, or it read a
    dataset of the same path with another content hash. Records whose pretraining is not among them (external
    checkpoints, random init) pass unchecked."""
    pretrain_by_run = {r.get("run_id"): r for r in records if r.get("stage") == "pretrain"}
    kept = []
    for record in records:
        source = pretraining_of(record, pretrain_by_run) if record.get("stage") != "pretrain" else None
        problem = None
        if source is not None:
            used = ((record.get("inputs") or {}).get("checkpoint") or {}).get("sha256")
            made = ((source.get("outputs") or {}).get("backbone") or {}).get("sha256")
            if used and made and used != made:
                problem = (f"its input checkpoint sha256 {used[:12]}… is not {source['run_id']}'s exported backbone "
                           f"{made[:12]}… (a pretraining redone after it ran: rerun it)")
            data = (source.get("inputs") or {}).get("dataset") or {}
            for name, entry in (record.get("inputs") or {}).items():
                if name.startswith("dataset") and entry and data.get("sha256") and entry.get("sha256") and \
                        entry.get("path") == data.get("path") and entry["sha256"] != data["sha256"]:
                    problem = (f"it read {entry['path']} with content hash {entry['sha256'][:12]}…, its pretraining "
                               f"{source['run_id']} read {data['sha256'][:12]}… (other data under one name)")
        if problem:
            warnings.append(f"{record['_path']}: refused, {problem}")
            continue
        kept.append(record)
    return kept


def annotate_freshness(records: list[dict]) -> None:
    """`_freshness` = (current | stale | legacy, reasons) on each record: config, code and environment against
    this checkout (the data is re-hashed by the pipeline, which knows the data root)."""
    for record in records:
        record["_freshness"] = freshness(record)


def archive_records(records: list[dict], archive: Path, profile: str, warnings: list) -> list[dict]:
    """Copy each finished record (and its curves CSV) to `archive/<stage>/<run_id>/`, then return the records of
    the archive: the runs here plus every run committed earlier (the study accumulates over sessions). An archived
    record that differs from the local one of the same run is never overwritten: it is kept, with a warning naming
    both (the pipeline's `--rerun-stale` / `--force` move the archived one aside before a rerun)."""
    for record in records:
        target = archive / record.get("stage", "unknown") / record.get("run_id", Path(record["_dir"]).name)
        archived = target / "record.json"
        mine = {k: v for k, v in record.items() if not k.startswith("_")}
        if archived.is_file():
            try:
                same = json.loads(archived.read_text()) == json.loads(json.dumps(mine, default=str))
            except (OSError, json.JSONDecodeError):
                same = False
            if same:
                continue
            warnings.append(f"{record['_path']} differs from the archived {archived}; the archived record is kept. "
                            f"To replace it, rerun through the pipeline with --rerun-stale (or --force), which "
                            f"moves it to {target.name}.superseded-<date>/, or remove the local run directory")
            continue
        archive_run(record, record["_dir"], target)
    return load_records(None, profile, warnings, base=archive)


# ------------------------------------------------------------------------------------------------- numbers
@dataclass
class Agg:
    values: dict                       # seed -> value
    run_ids: list
    records: list

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return sum(self.values.values()) / self.n

    @property
    def std(self) -> float | None:
        if self.n < 2:
            return None
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.values.values()) / (self.n - 1))


def _metric_value(record, metric):
    value = (record.get("metrics") or {}).get(metric)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def aggregate(seed_records: dict, metric: str) -> Agg | None:
    values, run_ids, paths = {}, [], []
    for seed in sorted(seed_records, key=str):
        record = seed_records[seed]
        value = _metric_value(record, metric)
        if value is None:
            continue
        values[seed] = value
        run_ids.append(record.get("run_id", ""))
        paths.append(record["_path"])
    return Agg(values, run_ids, paths) if values else None


def gap_aggregate(a: Agg | None, b: Agg | None) -> Agg | None:
    """LeOCLR − MoCo-v2 paired by seed; unpaired seeds fall back to the difference of the means (n = min)."""
    if a is None or b is None:
        return None
    common = [s for s in a.values if s in b.values]
    if common:
        values = {s: a.values[s] - b.values[s] for s in common}
    else:
        values = {"mean": a.mean - b.mean}
    return Agg(values, a.run_ids + b.run_ids, a.records + b.records)


def _num(value, digits: int = 4) -> str:
    if value is None:
        return ""
    text = f"{round(float(value), digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ------------------------------------------------------------------------------------------------- tables
@dataclass
class TableResult:
    table: Table
    lines: list                        # dicts of strings, OUR_COLUMNS
    status: str                        # complete | partial | none | no runs
    expected: int
    have: int
    run_ids: list = field(default_factory=list)
    commits: list = field(default_factory=list)
    wall_s: float = 0.0
    source: str = "fresh"              # fresh | committed | unwritten
    committed_date: str | None = None
    seed_rows: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # (row, metric) -> {seed: value}: what the verdict pairs
    kept_why: str = ""                          # why a committed file was kept
    fed: dict = field(default_factory=dict)     # row -> {seed: record}: the records behind each row
    startup_s: float = 0.0                      # the records' start-up seconds (process start → first step)


def better_random(table: Table, row, metric: str, aggs: dict) -> Agg | None:
    """The random-init reference of a pretrained row: the better (higher mean) of the table's random-init rows of
    the same stage and evaluation set that have `metric` (e.g. kNN with BN re-estimated and with BN untouched), so
    that "Δ random" never flatters a method against the weaker random baseline. Falls back to the row's named
    `compare` / naming-convention counterpart when no such row has a number."""
    if row.method == "random" or row.is_gap or table.baseline(row, "random") is None:
        return None
    candidates = [aggs.get(other.key, {}).get(metric) for other in table.rows
                  if other.method == "random" and not other.is_gap and other.stage == row.stage
                  and other.descriptors.get("eval_dataset") == row.descriptors.get("eval_dataset")]
    candidates = [agg for agg in candidates if agg is not None]
    if not candidates:
        return aggs.get(table.baseline(row, "random"), {}).get(metric)
    return max(candidates, key=lambda agg: agg.mean)


def build_table(table: Table, profile: str, by_row: dict, reference: list[dict]) -> TableResult:
    ref = {(r["row"], r["metric"]): r for r in reference}
    aggs: dict = {}
    for row in table.rows:
        if not row.is_gap:
            seeds = by_row.get((table.name, row.key), {}) if row.spec(profile) else {}
            aggs[row.key] = {m: aggregate(seeds, m) for m in row.metrics}
    for row in table.rows:
        if row.is_gap:
            a, b = (aggs.get(k, {}) for k in row.gap)
            aggs[row.key] = {m: gap_aggregate(a.get(m), b.get(m)) for m in row.metrics}

    lines, expected, have, used = [], 0, 0, {}
    seed_rows, values = [], {}
    for row in table.rows:
        if row.is_gap:
            applicable = all(table.row(k).spec(profile) is not None for k in row.gap)
        else:
            applicable = row.spec(profile) is not None
            if applicable:
                expected += 1
                if by_row.get((table.name, row.key)):
                    have += 1
                    for record in by_row[(table.name, row.key)].values():
                        used[record["_path"]] = record
        describe = row.describe(profile)
        if row.is_gap:  # a derived row is described by the rows it compares, as they hold in this profile
            describe = {**table.row(row.gap[0]).describe(profile), "protocol": row.descriptors.get("protocol")}
        for metric in row.metrics:
            agg = aggs[row.key].get(metric) if applicable else None
            runs_in = table.row(row.gap[0]).profiles if row.is_gap else row.profiles
            state = OK if agg else (MISSING if applicable else profile_only(runs_in))
            line = {"table": table.name, "row": row.key, "method": row.method, "metric": metric, "state": state,
                    "profile": profile}
            line.update({k: "" if describe.get(k) is None else str(describe.get(k)) for k in DESCRIPTORS})
            ours = agg.mean if agg else None
            line.update(ours=_num(ours), n_seeds=str(agg.n) if agg else "", std=_num(agg.std) if agg else "",
                        run_id=";".join(agg.run_ids) if agg else "", record=";".join(agg.records) if agg else "")
            fed_by = list(by_row.get((table.name, row.key), {}).values()) if applicable and not row.is_gap else []
            # contracts.md §7: a run allowed at another global batch than its protocol's is flagged on its row;
            # v5: a row fed by a stale record keeps its number, marked; one fed by schema-1 records says legacy
            states = {(r.get("_freshness") or ("", []))[0] for r in fed_by}
            line["flags"] = ";".join(flag for flag, on in (("batch_mismatch", any(r.get("batch_mismatch")
                                                                                 for r in fed_by)),
                                                           (STALE, STALE in states), (LEGACY, LEGACY in states)) if on)
            if agg and not row.is_gap:
                values[(row.key, metric)] = dict(agg.values)
            reference_line = ref.get((row.key, metric)) if profile == "paper" else None
            paper = to_float(reference_line["value"]) if reference_line else None
            line.update(paper=_num(paper), paper_status=reference_line["status"] if reference_line else "",
                        delta=_num(ours - paper) if ours is not None and paper is not None else "")
            base_key = table.baseline(row, "mocov2")
            base = aggs.get(base_key, {}).get(metric) if base_key else None
            line["delta_vs_mocov2"] = _num(ours - base.mean) if ours is not None and base else ""
            base = better_random(table, row, metric, aggs)
            line["delta_vs_random"] = _num(ours - base.mean) if ours is not None and base else ""
            lines.append({k: line.get(k, "") for k in OUR_COLUMNS})
            if agg and agg.n > 1 and not row.is_gap:
                vals = list(agg.values.values())
                seed_rows.append({"table": table.name, "row": row.key, "profile": profile, "metric": metric,
                                  "n": str(agg.n),
                                  "mean": _num(agg.mean), "std": _num(agg.std), "min": _num(min(vals)),
                                  "max": _num(max(vals)), "seeds": ";".join(map(str, agg.values)),
                                  "values": ";".join(_num(v) for v in vals), "run_ids": ";".join(agg.run_ids)})
    if expected == 0:
        status = "no runs"
    elif have == expected:
        status = "complete"
    elif have == 0:
        status = "none"
    else:
        status = "partial"
    records = list(used.values())
    return TableResult(table=table, lines=lines, status=status, expected=expected, have=have,
                       run_ids=sorted({r.get("run_id", "") for r in records}),
                       commits=sorted({str(r.get("git_commit")) for r in records if r.get("git_commit")}),
                       wall_s=round(sum(float(r.get("wall_s") or 0) for r in records), 1), seed_rows=seed_rows,
                       values=values, fed={row.key: by_row.get((table.name, row.key), {}) for row in table.rows},
                       startup_s=round(sum(float(r.get("startup_s") or 0) for r in records), 1))


def write_csv(path: Path, columns, lines) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)
    tmp.replace(path)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
