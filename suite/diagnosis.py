"""The training-dynamics table of a diagnosis sweep (issue 23; `configs/sweeps/cifar10_diagnosis.py`): for each
point and method, read back from its archived curves, when (if ever) the loss left chance, the positive /
negative cosines, the key batch's mean pairwise cosine, the embeddings' effective rank, the gradient norm, and
what the collapse watch (`pretrain.collapse`) says."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from common.records import atomic_write_text, read_record
from pretrain.collapse import queue_full_step, watch_curves

METHODS = ("mocov2", "leoclr")
LEFT_CHANCE = 0.5   # per-term loss this far below ln(K+1): the queue's keys are told apart
COLUMNS = ("point", "method", "changes", "steps", "queue_full", "left_chance_at", "pos_neg_20", "pos_neg_40",
           "pos_neg_last", "per_term_loss_last", "chance", "key_cos_last", "eff_rank_last", "grad_norm_20",
           "grad_norm_last", "watch", "train_s")


def _curves(folder: Path) -> list[dict]:
    path = folder / "curves.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _at(rows: list[dict], step: int) -> dict | None:
    return next((r for r in rows if int(r["step"]) == step), None)


def _f(value, digits=3) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return ""


def summarise(point: dict, method: str, record: dict, rows: list[dict], queue_size: int) -> dict:
    terms = 2 if method == "leoclr" and (point.get("options") or {}).get("model.enqueue") != "first" else 1
    loss_terms = 2 if method == "leoclr" and (point.get("options") or {}).get("model.loss_terms") != "mean" else 1
    batch = int(record.get("global_batch") or 256)
    full = queue_full_step(queue_size, batch, terms)
    chance = math.log(queue_size + 1)

    def per_term(row):
        return float(row["loss"]) / loss_terms

    after = [r for r in rows if int(r["step"]) > full]
    # the first step from which the loss stays LEFT_CHANCE below chance to the end (a dip before a collapse is
    # not leaving chance)
    left = next((int(r["step"]) for i, r in enumerate(after)
                 if all(per_term(later) < chance - LEFT_CHANCE for later in after[i:])), None)
    pair = lambda r: f"{_f(r['pos_sim'], 2)} / {_f(r['neg_sim'], 2)}" if r else ""  # noqa: E731
    last = rows[-1] if rows else None
    verdict = watch_curves(rows, full)
    return {"point": point["name"], "method": method, "changes": point.get("changes", ""),
            "steps": last["step"] if last else "", "queue_full": full,
            "left_chance_at": left if left is not None else "never", "pos_neg_20": pair(_at(rows, 20)),
            "pos_neg_40": pair(_at(rows, 40)), "pos_neg_last": pair(last),
            "per_term_loss_last": _f(per_term(last)) if last else "", "chance": _f(chance),
            "key_cos_last": _f(last.get("key_cos")) if last else "",
            "eff_rank_last": _f(last.get("eff_rank"), 1) if last else "",
            "grad_norm_20": _f((_at(rows, 20) or {}).get("grad_norm"), 4),
            "grad_norm_last": _f(last.get("grad_norm"), 4) if last else "", "watch": verdict.state,
            "train_s": record.get("train_s") or record.get("wall_s")}


def build_diagnosis_table(spec, archive: Path, out: Path) -> list[dict]:
    rows = []
    for point in spec.points:
        for method in point.get("methods", METHODS):
            folder = archive / point["name"] / method
            record = read_record(folder)
            if not record or record.get("status") != "finished":
                continue
            rows.append(summarise(point, method, record, _curves(folder), spec.get("queue_size", 4096)))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "diagnosis.csv", text.getvalue())
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |\n" for row in rows)
    atomic_write_text(out / "diagnosis.md", (
        f"# Diagnosis `{spec.sweep}` (profile {spec.profile})\n\n"
        f"Spec: `configs/sweeps/{spec.sweep}.py` (the base, each point's change and why). Seed 0, one run per method "
        f"and point, on `train_minus_val`; per-term loss = the loss divided by LeOCLR's two InfoNCE terms (chance "
        f"ln(K+1)); `left_chance_at`: the first logged step after the queue held only real keys (`queue_full`) "
        f"from which the per-term loss stays {LEFT_CHANCE} below chance to the end; cosines as positive / negative (query vs its key / vs "
        f"the queue); `key_cos`: the key batch's mean pairwise cosine (1 = every key one direction); `eff_rank`: "
        f"effective rank of the centred query embeddings of a batch (of 128: exp of the entropy of the normalised "
        f"singular values); `watch`: the collapse watch replayed on the curves "
        f"(`pretrain/collapse.py`; `too_short` = a run too short to call a stall, collapse is still flagged). "
        f"Records and curves: `records/<point>/<method>/`.\n\n{head}{body}\n" + "".join(
            f"- `{point['name']}`: {point.get('why', '')}\n" for point in spec.points)))
    return rows
