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

This module renders and writes; the numbers come from `suite.aggregate` (records → table lines), the figures from
`suite.figures`, the LeOCLR vs MoCo-v2 section from `suite.verdict_section`.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import subprocess
import sys
from pathlib import Path

from common.records import atomic_write_text
from suite.aggregate import (ARCHIVED_PROFILES, OUR_COLUMNS, SEEDS_COLUMNS, TableResult, annotate_freshness,
                             archive_records, build_table, check_chain, index_records, load_records, pretraining_of,
                             read_csv, write_csv)
from suite.figures import curves_figure, random_knn_lines, table_figure
from suite.freshness import LEGACY, LEGACY_NOTE, STALE, freshness
from suite.labels import METHOD_LABELS, OK, STATUS_LABELS, hours, is_profile_only, to_float
from suite.tables import PROFILES, REFERENCE_DIR, load_tables, read_reference
from suite.verdict_section import comparisons, leoclr_vs_mocov2, table_verdict

SMOKE_DISCLAIMER = ("This smoke report proves the pipeline end to end on generated scenes; it makes no "
                    "scientific claim.")
DISCLAIMERS = {"smoke": SMOKE_DISCLAIMER,
               "tiny": "This tiny report only proves the wiring (a few iterations per stage, CI); its numbers mean "
                       "nothing and are never committed."}
COLLAPSE_ABOVE = 12       # a smoke table with more profile-only rows lists them in one line instead


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
    means = {line["row"]: to_float(line["ours"]) for line in result.lines
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
    found = comparisons(results, profile)
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
                   f"{hours(wall) if wall else '—'} | {hours(startup) if startup else '—'} |")
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
                    f"{hours(entry.get('wall_s') or 0)}, commits {', '.join(entry.get('commits', [])) or '—'}",
                    "", "runs: " + (", ".join(f"`{x}`" for x in entry.get("run_ids", [])) or "—"), "",
                    "</details>", ""]
    out += leoclr_vs_mocov2(results, profile)
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
                       f"{m.get('knn_top1', '')} | {hours(float(rec['train_s'])) if rec.get('train_s') else '—'} | "
                       f"{_seconds(rec.get('startup_s'))} | {hours(float(rec.get('wall_s') or 0))} | "
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


# ------------------------------------------------------------------------------------------------- driver
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
