"""Tables, seed statistics, figures and a README from the run records (contracts.md §3).

    python -m suite.report --profile smoke [--runs-dir runs] [--out results] [--only t1,t2] [--allow-partial]

Reads only `runs/<profile>/*/*/record.json` (status `finished`), the table configs (`configs/tables/`) and the
reference numbers (`results/reference/`). Each record's `rows` list says which (table, row) it feeds; seed
repeats of a row are aggregated (mean, sample std, n). Writes, under `<out>/<profile>/`:

- `<table_id>.csv`: the table's row descriptors plus `state, ours, n_seeds, std, paper, paper_status, delta,
  delta_vs_mocov2, delta_vs_random, run_id, record`, one line per (row, metric). `paper`/`delta` (ours − paper)
  only in the paper profile; the deltas to the MoCo-v2 and random-init rows of the same setting in both.
  `state` is `ok`, `missing` (no finished record: never written as 0), `paper profile only` or
  `smoke profile only`.
- `seeds.csv` when any row has more than one seed; `provenance.json` (per table: when it was generated, from
  which runs, commits, wall time); `figures/*.png`; `README.md`.

Regeneration: a table's CSV is rewritten only from a complete set of records (every row that has a run in this
profile has a finished record). A table without records keeps its committed CSV and the README says
"from committed run <date>"; an incomplete set does not replace a committed complete table (`--allow-partial`
does), and is written when there is no committed file (missing rows marked "missing").
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.records import archive_run, atomic_write_text
from suite.freshness import LEGACY, LEGACY_NOTE, STALE, freshness
from suite.tables import DESCRIPTORS, PROFILES, REFERENCE_DIR, Table, load_tables, read_reference
from suite.verdict import Paired, compare_paired, judge
from suite.verdict import summary as verdict_summary

OUR_COLUMNS = ("table", "row", "profile", "method") + DESCRIPTORS + (
    "metric", "state", "ours", "n_seeds", "std", "paper", "paper_status", "delta", "delta_vs_mocov2",
    "delta_vs_random", "flags", "run_id", "record")
SEEDS_COLUMNS = ("table", "row", "profile", "metric", "n", "mean", "std", "min", "max", "seeds", "values", "run_ids")
SMOKE_DISCLAIMER = ("This smoke report proves the pipeline end to end on generated scenes; it makes no "
                    "scientific claim.")
DISCLAIMERS = {"smoke": SMOKE_DISCLAIMER,
               "tiny": "This tiny report only proves the wiring (a few iterations per stage, CI); its numbers mean "
                       "nothing and are never committed."}
OK, MISSING = "ok", "missing"   # or "<profiles> profile only": the row runs in other profiles


def profile_only(profiles) -> str:
    return f"{'/'.join(profiles) or 'no'} profile only"


def is_profile_only(state: str) -> bool:
    return state.endswith(" profile only")
COLLAPSE_ABOVE = 12       # a smoke table with more profile-only rows lists them in one line instead
METHOD_LABELS = {"leoclr": "LeOCLR", "mocov2": "MoCo-v2", "random": "random init", "supervised": "supervised",
                 "external": "external"}
STATUS_LABELS = {"paper": "", "moco-v2": " (MoCo-v2)", "derived": " (derived)"}


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


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


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
            paper = _float(reference_line["value"]) if reference_line else None
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


def _committed_date(path: Path, provenance: dict, table: str) -> str:
    entry = provenance.get("tables", {}).get(table, {})
    if entry.get("generated"):
        return entry["generated"][:10]
    try:
        date = subprocess.run(["git", "log", "-1", "--format=%cs", "--", path.name], cwd=path.parent,
                              capture_output=True, text=True, timeout=20).stdout.strip()
        if date:
            return date
    except (OSError, subprocess.SubprocessError):
        pass
    return _dt.date.fromtimestamp(path.stat().st_mtime).isoformat()


# ------------------------------------------------------------------------------------------------- figures
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})


def table_figure(result: TableResult, profile: str, fig_dir: Path) -> Path | None:
    """Horizontal bars per metric (ours ± std), the reference value marked where known. Derived gap rows (points of
    difference) are not accuracies and stay off these axes; the README tables and the verdict show them."""
    gaps = {row.key for row in result.table.rows if row.is_gap}
    lines = [l for l in result.lines if l["state"] in (OK, MISSING) and l["row"] not in gaps]
    metrics = list(dict.fromkeys(l["metric"] for l in lines))
    if not any(_float(l["ours"]) is not None or _float(l["paper"]) is not None for l in lines):
        return None
    plt = _plt()
    n_rows = max(len([l for l in lines if l["metric"] == m]) for m in metrics)
    ncols = min(4, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, (0.9 + 0.32 * n_rows) * nrows), squeeze=False,
                             layout="constrained")
    flat = [ax for row_axes in axes for ax in row_axes]
    for ax in flat[len(metrics):]:
        ax.axis("off")
    for ax, metric in zip(flat, metrics):
        sub = [l for l in lines if l["metric"] == metric]
        ys = list(range(len(sub)))[::-1]
        for y, line in zip(ys, sub):
            ours, std, paper = _float(line["ours"]), _float(line["std"]), _float(line["paper"])
            color = {"leoclr": "tab:red", "mocov2": "tab:blue", "random": "tab:gray"}.get(line["method"], "tab:green")
            if ours is not None:
                ax.barh(y, ours, xerr=std, color=color, alpha=0.8, height=0.7, capsize=2)
            else:
                ax.text(0, y, " missing", va="center", fontsize=7, color="dimgray")
            if paper is not None:
                ax.plot([paper], [y], marker="D", linestyle="none", color="black", markersize=4,
                        label="reference" if "reference" not in ax.get_legend_handles_labels()[1] else None)
        ax.set_yticks(ys)
        ax.set_yticklabels([l["row"] for l in sub], fontsize=7)
        ax.set_xlabel(f"{metric} (%)")
        ax.axvline(0, color="black", linewidth=0.5)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{result.table.title} — profile {profile}", fontsize=9)
    path = fig_dir / f"{result.table.name}.png"
    _save(fig, path)
    plt.close(fig)
    return path


def read_curves(record: dict) -> list[dict]:
    curves = record.get("curves")
    if not curves:
        return []
    path = Path(record["_dir"]) / curves
    if not path.exists():
        return []
    return read_csv(path)


def random_knn_lines(results: list[TableResult]) -> dict:
    """{label: kNN top-1} of the random-init kNN rows (the reference lines of the kNN curves)."""
    out = {}
    for result in results:
        for line in result.lines:
            if line["method"] == "random" and line["metric"] == "knn_top1" and _float(line["ours"]) is not None:
                out[f"random init ({line['row']})"] = _float(line["ours"])
    return out


def curves_figure(pretrain_records: list[dict], profile: str, fig_dir: Path, references: dict | None = None
                  ) -> Path | None:
    """Pretraining loss vs step, kNN top-1 vs epoch with the random-init references as horizontal lines, and
    pos/neg similarity where logged; LeOCLR vs MoCo-v2, one line per run."""
    series = [(r, read_curves(r)) for r in sorted(pretrain_records, key=lambda r: r.get("run_id", ""))]
    series = [(r, c) for r, c in series if c]
    if not series:
        return None
    has_sim = any(_float(row.get("pos_sim")) is not None for _, c in series for row in c)
    plt = _plt()
    panels = 3 if has_sim else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6), squeeze=False)
    colors = {"leoclr": "tab:red", "mocov2": "tab:blue"}
    styles = ["-", "--", ":", "-."]
    per_method: dict = {}
    for i, (record, rows) in enumerate(series):
        method = record.get("method", "")
        color = colors.get(method, f"C{i}")
        per_method[method] = per_method.get(method, -1) + 1
        style = styles[per_method[method] % len(styles)]
        label = f"{METHOD_LABELS.get(method, method)} {record.get('run_id', '')}"

        def xy(column, x="step"):
            pts = [(_float(r.get(x)), _float(r.get(column))) for r in rows]
            pts = [(x, y) for x, y in pts if x is not None and y is not None]
            return [x for x, _ in pts], [y for _, y in pts]

        axes[0][0].plot(*xy("loss"), color=color, linestyle=style, linewidth=1, label=label)
        axes[0][1].plot(*xy("knn_top1", x="epoch"), color=color, linestyle=style, marker="o", markersize=3,
                        label=label)
        if has_sim:
            axes[0][2].plot(*xy("pos_sim"), color=color, linestyle=style, linewidth=1)
            axes[0][2].plot(*xy("neg_sim"), color=color, linestyle=style, linewidth=1, alpha=0.4)
    axes[0][0].set(xlabel="step", ylabel="loss", title="pretraining loss (LeOCLR: sum of two InfoNCE terms)")
    for i, (name, value) in enumerate(sorted((references or {}).items())):
        axes[0][1].axhline(value, color="dimgray", linestyle=[":", "--", "-."][i % 3], linewidth=1,
                           label=f"{name}: {value:.1f}")
    axes[0][1].set(xlabel="epoch", ylabel="kNN top-1 (%)", title="kNN monitor")
    axes[0][1].legend(fontsize=6)
    if has_sim:
        axes[0][2].set(xlabel="step", ylabel="cosine", title="positive (solid) / negative (faint) similarity")
    axes[0][0].legend(fontsize=6)
    fig.suptitle(f"Pretraining curves — profile {profile}", fontsize=9)
    path = fig_dir / "pretrain_curves.png"
    _save(fig, path)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------------------------------- README
def _cell(line: dict) -> str:
    if line["state"] != OK:
        return line["state"]
    text = f"{float(line['ours']):.2f}"
    if line["std"]:
        text += f" ± {float(line['std']):.2f}"
    if line["n_seeds"] and int(line["n_seeds"]) > 1:
        text += f" (n={line['n_seeds']})"
    if "batch_mismatch" in (line.get("flags") or ""):
        text += " †"
    if STALE in (line.get("flags") or "").split(";"):
        text += " ‡"
    return text


def _paper_cell(line: dict) -> str:
    status = line.get("paper_status", "")
    if status == "pending":
        return "pending"
    if not status:
        return "—"
    return f"{float(line['paper']):g}{STATUS_LABELS.get(status, f' ({status})')}"


def _delta_cell(text: str) -> str:
    return f"{float(text):+.2f}" if text else ""


def render_table(lines: list[dict], profile: str) -> list[str]:
    """Markdown, laid out like the paper: rows × metrics, one block per set of metrics (the scenes table has
    several), ours beside the reference value in the paper profile."""
    rows: dict = {}
    for line in lines:
        rows.setdefault(line["row"], []).append(line)
    lines_by_row = dict(rows)
    out = []
    collapsed = []
    elsewhere = [k for k, ls in rows.items() if all(is_profile_only(l["state"]) for l in ls)]
    if len(elsewhere) > COLLAPSE_ABOVE:
        collapsed = elsewhere
        rows = {k: v for k, v in rows.items() if k not in collapsed}
    groups: dict = {}
    for key, ls in rows.items():
        groups.setdefault(tuple(l["metric"] for l in ls), []).append(key)
    for metrics, keys in groups.items():
        head = ["row", "method", "arch", "pretraining", "eval"]
        for m in metrics:
            head += [m, f"{m} paper", f"Δ {m}"] if profile == "paper" else [m]
        head += [f"Δ MoCo-v2 ({metrics[0]})", f"Δ random ({metrics[0]})"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for key in keys:
            ls = {l["metric"]: l for l in rows[key]}
            first = rows[key][0]
            epochs = first["pretrain_epochs"]
            pretraining = (f"{first['pretrain_dataset']} {epochs}{' ep' if epochs.isdigit() else ''}"
                           if first["pretrain_dataset"] else ("none" if first["method"] == "random" else ""))
            cells = [f"`{key}`", METHOD_LABELS.get(first["method"], first["method"]), first["arch"],
                     pretraining.strip(), f"{first['eval_dataset']} {first['protocol']}"]
            for m in metrics:
                line = ls[m]
                cells.append(_cell(line))
                if profile == "paper":
                    cells += [_paper_cell(line), _delta_cell(line.get("delta", ""))]
            cells += [_delta_cell(ls[metrics[0]].get("delta_vs_mocov2", "")),
                      _delta_cell(ls[metrics[0]].get("delta_vs_random", ""))]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if collapsed:
        labels = sorted({rows_state for k in collapsed for rows_state in [lines_by_row[k][0]["state"]]})
        out.append(f"{'; '.join(labels).capitalize()} ({len(collapsed)} rows): "
                   + ", ".join(f"`{k}`" for k in collapsed))
        out.append("")
    return out


def _status_line(result: TableResult) -> str:
    if result.source == "committed":
        extra = (f"; new records incomplete ({result.have}/{result.expected} rows), not rewritten "
                 f"(`--allow-partial` writes them)" if result.status == "partial" else "")
        extra += f"; {result.kept_why}" if result.kept_why else ""
        return f"**From committed run {result.committed_date}**{extra}."
    if result.source == "unwritten":
        return f"**Not run yet** in this profile (0/{result.expected} rows have records); no file written."
    if result.status == "no runs":
        return "No rows of this table run in this profile."
    if result.status == "partial":
        return f"**Incomplete**: {result.have}/{result.expected} rows have records; missing rows are marked."
    return f"Fresh: {result.have}/{result.expected} rows from finished records."


def goal_line(result: TableResult) -> str | None:
    """The table's own bar (`goal` in its config), checked on the means of its rows: each of `rows` must clear
    the best of `over` by `margin` points; "not assessed" while any of them has no number."""
    goal = result.table.goal
    if not goal:
        return None
    means = {line["row"]: _float(line["ours"]) for line in result.lines
             if line["metric"] == goal["metric"] and line["state"] == OK}
    refs = {key: means[key] for key in goal["over"] if means.get(key) is not None}
    label = (f"each of {', '.join(f'`{k}`' for k in goal['rows'])} ≥ {goal['margin']:g} points of "
             f"{goal['metric']} over the better random init")
    if len(refs) < len(goal["over"]) or any(means.get(key) is None for key in goal["rows"]):
        return f"**Goal** ({label}): not assessed (rows without records)."
    ref_key = max(refs, key=refs.get)
    margins = {key: means[key] - refs[ref_key] for key in goal["rows"]}
    reached = all(m >= goal["margin"] for m in margins.values())
    return (f"**Goal** ({label}, here `{ref_key}` {refs[ref_key]:.2f}): "
            + ", ".join(f"`{k}` {m:+.2f}" for k, m in margins.items())
            + f" (means over seeds): {'reached' if reached else 'not reached'}.")


def _seconds(value) -> str:
    return f"{float(value):.0f} s" if value is not None else "—"


def _hours(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.2f} h"


def diagnostics_section(records: list[dict], out_dir: Path, figures: bool) -> list[str]:
    """The crop-overlap diagnostic (`pretrain.crop_overlap`, stage `diagnostic`): how often a positive pair shares
    no object, per method and per bin of the image's largest-object area; its figure copied beside the tables."""
    import shutil

    out = []
    for record in sorted((r for r in records if r.get("stage") == "diagnostic"), key=lambda r: r["run_id"]):
        csv_path = Path(record["_dir"]) / (record.get("outputs") or {}).get("csv", "crop_overlap.csv")
        if not csv_path.is_file():
            continue
        rows = read_csv(csv_path)
        bins = list(dict.fromkeys(r["bin"] for r in rows))
        settings = record.get("settings") or {}
        out += [f"## The paper's premise, measured: positive pairs that share no object (`{record['run_id']}`)", "",
                f"{record.get('images')} images of `{record['inputs']['annotations']['path']}`, "
                f"{settings.get('pairs')} pairs per image, crop scale {tuple(settings.get('crop_scale', ()))}; a "
                f"region holds an object when ≥ {100 * float(settings.get('hold', 0.2)):.0f} % of its "
                f"{'mask' if settings.get('masks') else 'box'} lies inside. MoCo-v2 pairs two crops, LeOCLR the "
                "original image with a crop. No training involved (`python -m pretrain.crop_overlap`).", "",
                "| method | " + " | ".join(f"largest object {b}" for b in bins) + " |",
                "|---|" + "---|" * len(bins)]
        for method in dict.fromkeys(r["method"] for r in rows):
            cells = {r["bin"]: r for r in rows if r["method"] == method}
            out.append(f"| {METHOD_LABELS.get(method, method)} | " + " | ".join(
                f"{cells[b]['no_shared_object_pct']} % ({cells[b]['images']} images)" if b in cells and
                cells[b]["no_shared_object_pct"] != "" else "—" for b in bins) + " |")
        figure = Path(record["_dir"]) / (record.get("outputs") or {}).get("figure", "crop_overlap.png")
        if figures and figure.is_file():
            target = out_dir / "figures" / f"{record['run_id']}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(figure, target)
            out += ["", f"![crop overlap](figures/{target.name})"]
        out.append("")
    return out


def sweep_section(out_dir: Path) -> list[str]:
    """A pointer to the profile's settings sweep (`python -m suite.sweep`, `<out_dir>/sweep/sweep.md`) and its
    verdict line, when there is one."""
    sweep_md = out_dir / "sweep" / "sweep.md"
    if not sweep_md.is_file():
        return []
    verdict = next((line.strip("* ") for line in sweep_md.read_text().splitlines() if line.startswith("**")), "")
    return ["## Settings sweep", "", f"How this profile's settings were chosen, on a validation split held out of "
            f"the training images (never the test split): [sweep/sweep.md](sweep/sweep.md). {verdict}", ""]


def render_readme(profile: str, results: list[TableResult], pretrain_records: list[dict], provenance: dict,
                  figures: dict, warnings: list[str], generated: str, extra: list[str] = ()) -> str:
    out = [f"# Results: profile `{profile}`", ""]
    found = comparisons(results)
    if profile in DISCLAIMERS:
        out += [f"> {DISCLAIMERS[profile]}", ""]
    if profile == "smoke":
        out += ["Not archived: the smoke run records stay in `runs/` (git-ignored), so the committed smoke tables "
                "trace to records only on the machine that made them; `bash reproduce_all.sh` remakes them in "
                "minutes.", ""]
    commits = sorted({c for r in results if r.source == "fresh" for c in r.commits})
    out += [f"Generated {generated} by `python -m suite.report --profile {profile}` from the run records "
            f"only; commit(s) of the runs: {', '.join(f'`{c}`' for c in commits) or '—'}.", "",
            "Cells: ours = mean over seeds (± sample std, n) in percent; `missing` = no finished record (never "
            "0); `<p> profile only` = the row runs only with `--profile <p>` (the paper tables run in the paper "
            "profile only: no number of another profile is ever shown under a paper row); † = run at a global "
            "batch other than its protocol's (`--allow-batch-mismatch`); ‡ = fed by a stale record (its config, code, "
            "environment or inputs changed since it ran: number kept, see [Records](#records)). Records of schema 1 "
            f"are listed as \"{LEGACY_NOTE}\"."]
    if profile == "paper":
        out += ["Reference (`results/reference/`): a bare number is the paper's, `(MoCo-v2)` a published "
                "MoCo-v2 number, `(derived)` a number computed from the paper's statements (not a paper value), "
                "`pending` a paper number not transcribed yet; Δ = ours − reference."]
    out += ["Δ MoCo-v2 / Δ random: ours minus the MoCo-v2 row of the same setting / the better random-init row "
            "of the same protocol (e.g. BN re-estimated or untouched, whichever scores higher).", ""]
    out += ["| table | status | rows with records | wall time | of which start-up |", "|---|---|---|---|---|"]
    for r in results:
        status = {"committed": f"committed {r.committed_date}", "unwritten": "not run"}.get(r.source, r.status)
        entry = provenance.get("tables", {}).get(r.table.name, {})
        wall = entry.get("wall_s") if r.source == "committed" else r.wall_s
        startup = entry.get("startup_s") if r.source == "committed" else r.startup_s
        out.append(f"| [{r.table.name}](#{r.table.name}) | {status} | {r.have}/{r.expected} | "
                   f"{_hours(wall) if wall else '—'} | {_hours(startup) if startup else '—'} |")
    out.append("")
    for r in results:
        out += [f'<a id="{r.table.name}"></a>', f"## {r.table.title} (`{r.table.name}`)", "", _status_line(r), ""]
        out += render_table(r.lines, profile)
        out += [f"*Note.* {r.table.note}", ""]
        goal = goal_line(r)
        if goal:
            out += [goal, ""]
        out += table_verdict(r, found)
        if r.table.name in figures:
            out += [f"![{r.table.name}](figures/{figures[r.table.name].name})", ""]
        entry = provenance.get("tables", {}).get(r.table.name, {})
        if entry:
            out += ["<details><summary>Provenance</summary>", "",
                    f"generated {entry.get('generated', '')}, {entry.get('records', 0)} records, wall time "
                    f"{_hours(entry.get('wall_s') or 0)}, commits {', '.join(entry.get('commits', [])) or '—'}",
                    "", "runs: " + (", ".join(f"`{x}`" for x in entry.get("run_ids", [])) or "—"), "",
                    "</details>", ""]
    out += leoclr_vs_mocov2(results)
    out += list(extra)
    out += ["## Pretraining runs", ""]
    if pretrain_records:
        out += ["Training: seconds of training iterations (`train_s`, epoch-based runs; the kNN monitor and "
                "checkpoints not counted); start-up: from the process start to the first step (imports, config, "
                "model and data); wall time: the whole run on the machine's load at the time.", "",
                "| run | method | seed | iterations | epochs | global batch | kNN top-1 | training | start-up | "
                "wall time | watch | commit |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for rec in sorted(pretrain_records, key=lambda r: r.get("run_id", "")):
            m = rec.get("metrics") or {}
            # counts moved from `metrics` to the record itself (contracts.md §3); older records keep them there
            count = lambda key: rec.get(key, m.get(key, ""))  # noqa: E731
            batch = f"{rec.get('global_batch', '')}{' (≠ protocol)' if rec.get('batch_mismatch') else ''}"
            out.append(f"| `{rec.get('run_id')}` | {METHOD_LABELS.get(rec.get('method'), rec.get('method'))} | "
                       f"{rec.get('seed')} | {count('iterations')} | {count('epochs')} | {batch} | "
                       f"{m.get('knn_top1', '')} | {_hours(float(rec['train_s'])) if rec.get('train_s') else '—'} | "
                       f"{_seconds(rec.get('startup_s'))} | {_hours(float(rec.get('wall_s') or 0))} | "
                       f"{(rec.get('collapse_watch') or {}).get('state', '—')} | `{rec.get('git_commit', '')}` |")
        out.append("")
    else:
        out += ["No finished pretraining records in this profile.", ""]
    if "pretrain_curves" in figures:
        out += ["![pretraining curves](figures/pretrain_curves.png)", "",
                "LeOCLR's loss sums two InfoNCE terms (original vs each crop), so its scale is about twice a "
                "MoCo-v2 loss; compare the trends and the kNN monitor, not the levels.", ""]
    if warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    return "\n".join(out)


def comparisons(results: list[TableResult]) -> list[tuple[TableResult, str, str, Paired]]:
    """(table result, LeOCLR row, headline metric, paired comparison) for every LeOCLR row that has a MoCo-v2
    counterpart of the same setting, on the row's first (headline) metric, from per-seed values; the verdicts
    judged per table (Holm over its protocols: `suite.verdict.judge`)."""
    out = []
    for result in results:
        table, found = result.table, []
        for row in table.rows:
            if row.method != "leoclr" or row.is_gap:
                continue
            other = table.baseline(row, "mocov2")
            metric = row.metrics[0]
            a, b = result.values.get((row.key, metric)), result.values.get((other, metric)) if other else None
            if a and b:
                found.append((row.key, metric, compare_paired(a, b)))
        judged = judge([c for _, _, c in found])
        out += [(result, key, metric, c) for (key, metric, _), c in zip(found, judged)]
    return out


def _method_regime(seed_records: dict) -> dict | None:
    """Epochs, global batch and training time (per seed) of the pretrainings behind one row's records."""
    sources = {seed: r.get("_pretraining") for seed, r in seed_records.items() if r.get("_pretraining")}
    if not sources:
        return None
    epochs = sorted({str(s.get("epochs", (s.get("metrics") or {}).get("epochs", "?"))) for s in sources.values()})
    batches = sorted({str(s.get("global_batch", "?")) for s in sources.values()})
    train = {seed: float(s["train_s"]) for seed, s in sources.items() if s.get("train_s")}
    kind = "training"
    if not train:  # runs from before train_s was recorded: their wall time, said so
        train, kind = {seed: float(s["wall_s"]) for seed, s in sources.items() if s.get("wall_s")}, "wall time"
    return {"epochs": "/".join(epochs), "batch": "/".join(batches), "train_s": train, "kind": kind,
            "n": len(sources)}


def regime_line(result: TableResult, row: str) -> str:
    """The regime a LeOCLR − MoCo-v2 verdict holds in: epochs, batch and training time per method, and what the
    two were matched on (training time compared on the seeds timed for both)."""
    other = result.table.baseline(result.table.row(row), "mocov2")
    le, mo = (_method_regime(result.fed.get(key, {})) for key in (row, other))
    if not (le and mo):
        return "regime: not recorded beside these numbers (committed table or records without their pretraining)"

    def part(name, g):
        timed = g["train_s"]
        when = (f"{g['kind']} {_hours(sum(timed.values()) / len(timed))} (mean of {len(timed)} timed of {g['n']} "
                f"seeds)" if timed else "training not timed")
        return f"{name} {g['epochs']} epochs, batch {g['batch']}, {when}"

    both = sorted(set(le["train_s"]) & set(mo["train_s"]), key=str)
    ratio = (sum(le["train_s"][s] for s in both) / sum(mo["train_s"][s] for s in both)) if both else None
    if le["epochs"] == mo["epochs"]:
        matched = "matched on epochs" + (f" (LeOCLR {100 * (ratio - 1):+.0f} % training time on the {len(both)} "
                                         f"seed{'s' if len(both) > 1 else ''} timed for both)" if ratio else "")
    elif ratio and abs(ratio - 1) < 0.15:
        matched = f"matched on {le['kind']} (LeOCLR {100 * (ratio - 1):+.0f} %), not epochs"
    else:
        matched = "matched on neither epochs nor training time"
    return f"regime: {part('LeOCLR', le)}; {part('MoCo-v2', mo)}; {matched}"


def _verdict_cells(c: Paired) -> list[str]:
    return [str(c.n), f"{c.mean_diff:+.2f}" if c.mean_diff is not None else "—",
            f"[{c.ci[0]:+.2f}, {c.ci[1]:+.2f}]" if c.ci else "—",
            f"{c.p_value:.4f}" if c.p_value is not None else "—",
            f"{c.p_holm:.4f}" if c.p_holm is not None else "—",
            f"{c.sign_flip_p:.3f}" if c.sign_flip_p is not None else "—", c.verdict]


VERDICT_HEAD = ["| LeOCLR row | metric | paired seeds | LeOCLR − MoCo-v2 | 95 % interval (unadjusted) | paired-t p "
                "(unadjusted) | Holm p | sign-flip p (exact) | verdict |", "|---|---|---|---|---|---|---|---|---|"]


def table_verdict(result: TableResult, found: list) -> list[str]:
    """The verdict lines of one table, printed under its goal line: one row per protocol, each with its regime."""
    mine = [(row, metric, c) for r, row, metric, c in found if r is result]
    if not mine:
        return []
    assessed = sum(c.assessed for _, _, c in mine)
    out = [f"**LeOCLR vs MoCo-v2** (paired seeds; \"ahead\" only at Holm-adjusted p < 0.05 over the "
           f"{assessed} assessed protocol{'' if assessed == 1 else 's'} of this table, n ≥ 3):", ""] + VERDICT_HEAD
    out += [f"| `{row}` | {metric} | " + " | ".join(_verdict_cells(c)) + " |" for row, metric, c in mine]
    return out + [""] + [f"- `{row}`: {regime_line(result, row)}" for row, _, _ in mine] + [""]


def leoclr_vs_mocov2(results: list[TableResult]) -> list[str]:
    """The question the suite exists for, in one place: LeOCLR − MoCo-v2 per protocol from paired seeds (the
    per-table lines, gathered), with how the verdict is read."""
    found = comparisons(results)
    if not found:
        return []
    lines = ["## LeOCLR vs MoCo-v2 (paired seeds)", "",
             verdict_summary([(f"{r.table.name}:{row}", c) for r, row, _, c in found]), "",
             "Per protocol: the mean of the per-seed differences LeOCLR − MoCo-v2 (points); its 95 % paired-t "
             "interval (t with n−1 degrees of freedom) and two-sided paired-t p, both unadjusted; the p-value "
             "Holm-adjusted over the protocols of the table (they are read on the same checkpoints); and the exact "
             "sign-flip p (no normality assumed; with 3 seeds it cannot go below 0.25). \"Ahead\" only when the "
             "Holm p < 0.05 with ≥ 3 paired seeds; fewer seeds or zero spread: not assessed. Computed by "
             "`suite/verdict.py` from the run records; each line holds only in its regime (below).", "",
             "| table | " + VERDICT_HEAD[0][2:], "|---" + VERDICT_HEAD[1]]
    for result, row, metric, c in found:
        lines.append(f"| {result.table.name} | `{row}` | {metric} | " + " | ".join(_verdict_cells(c)) + " |")
    lines.append("")
    lines += [f"- {result.table.name} `{row}`: {regime_line(result, row)}" for result, row, _, _ in found]
    return lines + [""]


def records_section(records: list[dict]) -> list[str]:
    """Every record behind this report with what it pins: current (config, code, environment as in this
    checkout), stale (with why) or legacy (schema 1)."""
    if not records:
        return []
    out = ['<a id="records"></a>', "## Records", "",
           "What each record pins (contracts v5): *current* = its config, code files and environment match this "
           "checkout; *stale* = one of them changed since it ran (number kept, marked ‡); *legacy* = a schema-1 "
           "record, made before records pinned their data, code and environment.", "",
           "| run | stage | schema | state |", "|---|---|---|---|"]
    for record in sorted(records, key=lambda r: (r.get("stage", ""), r.get("run_id", ""))):
        state, reasons = record.get("_freshness") or freshness(record)
        text = LEGACY_NOTE if state == LEGACY else state + (": " + "; ".join(reasons) if reasons else "")
        out.append(f"| `{record.get('run_id')}` | {record.get('stage')} | {record.get('schema', 1)} | {text} |")
    return out + [""]


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


def _max_seeds(lines: list[dict]) -> int:
    return max((int(line["n_seeds"]) for line in lines if str(line.get("n_seeds") or "").isdigit()), default=0)


def _committed_values(table: str, lines: list[dict], seed_lines: list[dict]) -> dict:
    """Per-seed values of a kept committed table: seeds.csv where it lists the row (n > 1), else the mean (n=1)."""
    values = {}
    for line in lines:
        if line.get("state") == OK and line.get("n_seeds") == "1":
            values[(line["row"], line["metric"])] = {"?": float(line["ours"])}
    for line in seed_lines:
        if line.get("table") == table:
            values[(line["row"], line["metric"])] = {
                seed: float(v) for seed, v in zip(line["seeds"].split(";"), line["values"].split(";"))}
    return values


# ------------------------------------------------------------------------------------------------- driver
def write_report(profile: str, runs_dir="runs", out="results", *, only=None, allow_partial: bool = False,
                 figures: bool = True, tables=None, reference_dir=None, now: str | None = None) -> list[TableResult]:
    """Build every table of `profile` from the records and write the CSVs, seeds.csv, provenance.json, figures
    and README.md under `<out>/<profile>/`. Returns one TableResult per table."""
    warnings: list[str] = []
    tables = tables if tables is not None else load_tables(check_files=False, reference_dir=reference_dir)
    if only:
        names = only.split(",") if isinstance(only, str) else list(only)
        tables = [t for t in tables if t.name in names]
    tables = [t for t in tables if t.applies_to(profile)]
    if profile == "smoke":  # the embedded data first: it is what smoke is about
        tables = sorted(tables, key=lambda t: t.name != "scenes")
    out_dir = Path(out) / profile
    generated = now or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    prov_path = out_dir / "provenance.json"
    provenance = json.loads(prov_path.read_text()) if prov_path.exists() else {}
    provenance.setdefault("tables", {})

    records = load_records(runs_dir, profile, warnings)
    if profile in ARCHIVED_PROFILES:
        records = archive_records(records, out_dir / "records", profile, warnings)
    records = check_chain(records, warnings)
    pretrain_by_run = {r.get("run_id"): r for r in records if r.get("stage") == "pretrain"}
    for record in records:
        record["_pretraining"] = pretraining_of(record, pretrain_by_run)
    annotate_freshness(records)
    by_row = index_records(records, tables, warnings)
    seeds_path = out_dir / "seeds.csv"
    committed_seeds = read_csv(seeds_path) if seeds_path.exists() else []
    results, seed_rows = [], []
    for table in tables:
        reference = read_reference(table.name, reference_dir or REFERENCE_DIR)
        result = build_table(table, profile, by_row, reference)
        path = out_dir / f"{table.name}.csv"
        committed_complete = provenance["tables"].get(table.name, {}).get("status", "complete") == "complete"
        committed_seeds_n = _max_seeds(read_csv(path)) if path.exists() else 0
        fewer_seeds = result.status != "no runs" and _max_seeds(result.lines) < committed_seeds_n
        if fewer_seeds and not allow_partial:
            result.kept_why = (f"the new records have at most {_max_seeds(result.lines)} seed(s) per row, the "
                               f"committed table {committed_seeds_n}; not replaced (`--allow-partial` replaces it)"
                               if result.have else "no records of it here; the committed table is shown")
        if not (fewer_seeds and not allow_partial) and (result.status in ("complete", "no runs") or (
                result.status == "partial" and (allow_partial or not path.exists() or not committed_complete))):
            write_csv(path, OUR_COLUMNS, result.lines)
            provenance["tables"][table.name] = {
                "generated": generated, "status": result.status, "records": len(result.run_ids),
                "run_ids": result.run_ids, "commits": result.commits, "wall_s": result.wall_s,
                "startup_s": result.startup_s,
                "rows_with_records": result.have, "rows_expected": result.expected}
            seed_rows += result.seed_rows
        elif path.exists():
            result.source = "committed"
            result.committed_date = _committed_date(path, provenance, table.name)
            result.lines = read_csv(path)
            result.values = _committed_values(table.name, result.lines, committed_seeds)
        else:
            result.source = "unwritten"
        results.append(result)

    rewritten = {r.table.name for r in results if r.source == "fresh"}
    if seed_rows or any(l.get("table") in rewritten for l in committed_seeds):
        # seeds.csv follows the tables: lines of rewritten tables are replaced, the others' kept
        kept = [l for l in committed_seeds if l.get("table") not in rewritten]
        write_csv(seeds_path, SEEDS_COLUMNS, kept + seed_rows)
    fig_paths = {}
    pretrain_records = [r for r in records if r.get("stage") == "pretrain"]
    if figures:
        fig_dir = out_dir / "figures"
        for result in results:
            path = table_figure(result, profile, fig_dir)
            if path:
                fig_paths[result.table.name] = path
        path = curves_figure(pretrain_records, profile, fig_dir, random_knn_lines(results))
        if path or (fig_dir / "pretrain_curves.png").exists():
            fig_paths["pretrain_curves"] = path or fig_dir / "pretrain_curves.png"
    provenance["profile"] = profile
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(prov_path, json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    extra = diagnostics_section(records, out_dir, figures) + sweep_section(out_dir) + records_section(records)
    atomic_write_text(out_dir / "README.md", render_readme(profile, results, pretrain_records, provenance,
                                                           fig_paths, warnings, generated, extra))
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.report", description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=PROFILES, default="smoke")
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--out", default="results")
    ap.add_argument("--only", default=None, help="comma-separated table ids")
    ap.add_argument("--allow-partial", action="store_true",
                    help="write a table from an incomplete set of records even over a committed complete one")
    ap.add_argument("--no-figures", action="store_true")
    args = ap.parse_args(argv)
    results = write_report(args.profile, args.runs_dir, args.out, only=args.only, allow_partial=args.allow_partial,
                           figures=not args.no_figures)
    out_dir = Path(args.out) / args.profile
    for r in results:
        where = {"fresh": f"wrote {out_dir / (r.table.name + '.csv')}", "committed":
                 f"kept committed file ({r.committed_date})", "unwritten": "no records, no file"}[r.source]
        print(f"{r.table.name:15s} {r.status:9s} {r.have}/{r.expected} rows  {where}")
    print(f"README: {out_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
