"""The report's LeOCLR vs MoCo-v2 section: the paired-seed comparisons of every table (`suite.verdict` computes
them), the verdict lines under each table and the summary section, each with the regime it holds in (epochs,
batch, training time of the pretrainings behind the rows)."""
from __future__ import annotations

from suite.aggregate import TableResult
from suite.labels import hours
from suite.tables import profile_key
from suite.verdict import Paired, compare_paired, judge
from suite.verdict import summary as verdict_summary


def comparisons(results: list[TableResult], profile: str | None = None
                ) -> list[tuple[TableResult, str, str, Paired]]:
    """(table result, LeOCLR row, headline metric, paired comparison) for every LeOCLR row that has a MoCo-v2
    counterpart of the same setting, on the row's first (headline) metric, from per-seed values; the verdicts
    judged per table (Holm over its protocols: `suite.verdict.judge`). A table with a study fixed for `profile`
    (`study` in its config: the seeds chosen before the first run) is read on those seeds only, and only once every
    one of them is in for both methods; before that its verdict is "pending"."""
    out = []
    for result in results:
        table, found = result.table, []
        study = (table.study or {}).get(profile_key(profile)) if profile else None
        for row in table.rows:
            if row.method != "leoclr" or row.is_gap:
                continue
            other = table.baseline(row, "mocov2")
            metric = row.metrics[0]
            a, b = result.values.get((row.key, metric)), result.values.get((other, metric)) if other else None
            if a and b and study:
                fixed = {int(seed) for seed in study["seeds"]}
                a, b = ({s: v for s, v in x.items() if int(s) in fixed} for x in (a, b))
                paired = fixed & {int(s) for s in a} & {int(s) for s in b}
                if paired != fixed:
                    found.append((row.key, metric, Paired(len(paired), None, None, None, None,
                                                          f"pending: {len(paired)} of {len(fixed)} fixed seeds")))
                    continue
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
        when = (f"{g['kind']} {hours(sum(timed.values()) / len(timed))} (mean of {len(timed)} timed of {g['n']} "
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


def leoclr_vs_mocov2(results: list[TableResult], profile: str | None = None) -> list[str]:
    """The question the suite exists for, in one place: LeOCLR − MoCo-v2 per protocol from paired seeds (the
    per-table lines, gathered), with how the verdict is read."""
    found = comparisons(results, profile)
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
