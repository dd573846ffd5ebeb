"""A settings sweep for one profile: each point pretrains both methods with its --cfg-options, is judged on a
validation split held out of train, and lands in a table (issue #12; the spec says what and why).

    python -m suite.sweep configs/sweeps/cifar10.py                 # every point, then the table
    python -m suite.sweep configs/sweeps/cifar10.py --only std-b64-lr0.06-t0.1-e4 --dry-run
    python -m suite.sweep configs/sweeps/cifar10.py --table-only    # rebuild the table from the archive

Runs go to `<runs-dir>/<sweep>-sweep/<point>/<method>/` (the random-init references to `.../random-<variant>/`),
each through its runner (`pretrain.train`, `downstream.knn`), which skips a finished run, resumes an interrupted
one and refuses one whose config changed (then `--force`). After every run its record and curves are copied to
`<results-dir>/<profile>/sweep/records/`, and `sweep.csv` / `sweep.md` are rebuilt from that archive, so a sweep
spread over sessions accumulates in git like the profile's own records.
"""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import time
from pathlib import Path

from common.records import archive_run, atomic_write_text, read_record

REPO_ROOT = Path(__file__).resolve().parents[1]
METHODS = ("mocov2", "leoclr")
COLUMNS = ("point", "method", "stem", "lr_per_512", "lr", "temperature", "batch", "epochs", "val_knn_top1",
           "val_knn_by_epoch", "train_s", "wall_s", "git_commit")


def load_spec(path: str):
    """The sweep spec (one of our config files: mmengine executes it, so nothing else is given to it)."""
    from mmengine.config import Config

    spec = Config.fromfile(path)
    missing = [key for key in ("sweep", "profile", "bases", "points") if key not in spec]
    if missing:
        raise SystemExit(f"{path}: missing {', '.join(missing)}")
    names = [point["name"] for point in spec.points]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: point names repeat: {names}")
    for method in METHODS:
        if method not in spec.bases:
            raise SystemExit(f"{path}: bases has no {method!r} config")
    return spec


def settings(base: str, options: dict) -> dict:
    """What a point trains with, read from the merged config (lr as configured, per 512 images, and as applied)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO_ROOT / base))
    cfg.merge_from_dict(dict(options))
    lr, batch = cfg.optim_wrapper.optimizer.lr, cfg.train_dataloader.batch_size
    scale = cfg.get("auto_scale_lr", {})
    applied = lr * batch / scale["base_batch_size"] if scale.get("enable") else lr
    return {"stem": cfg.model.get("stem", "standard"), "lr_per_512": lr, "lr": round(applied, 6),
            "temperature": cfg.model.temperature, "batch": batch, "epochs": cfg.train_cfg.get("max_epochs"),
            "iters": cfg.train_cfg.get("max_iters")}


def sweep_runs_dir(spec, runs_dir: str) -> Path:
    return Path(runs_dir) / f"{spec.sweep}-sweep"


def planned(spec, args) -> list[tuple[str, str, list[str]]]:
    """(point, method, command) in run order: the random-init references first (minutes), then the points."""
    py, root = sys.executable, sweep_runs_dir(spec, args.runs_dir)
    common = ["--seed", "0", "--profile", spec.profile, "--data-root", args.data_root]
    force = ["--force"] if args.force else []
    runs = [("random", variant, [py, "-m", "downstream.knn", config, "--checkpoint", "random", *common,
                                 "--work-dir", str(root / f"random-{variant}"), *force])
            for variant, config in spec.get("random_init", {}).items()]
    only = set(args.only.split(",")) if args.only else None
    unknown = (only or set()) - {point["name"] for point in spec.points}
    if unknown:
        raise SystemExit(f"--only: no such point(s) {sorted(unknown)} in {args.spec}")
    for point in spec.points:
        if only and point["name"] not in only:
            continue
        options = [f"{key}={value}" for key, value in point.get("options", {}).items()]
        for method in point.get("methods", METHODS):  # a point may leave a method out (the spec says why)
            command = [py, "-m", "pretrain.train", spec.bases[method], *common,
                       "--work-dir", str(root / point["name"] / method), *force,
                       *(["--amp", point["amp"]] if point.get("amp") else [])]
            runs.append((point["name"], method, command + (["--cfg-options", *options] if options else [])))
    return runs


def archive(spec, args, point: str, method: str, work_dir: Path) -> None:
    record = read_record(work_dir)
    if record and record.get("status") == "finished":
        archive_run(record, work_dir, archive_dir(spec, args) / point / method)


def out_dir(spec, args) -> Path:
    """`results/<profile>/sweep/` (a settings sweep) or the spec's `out` folder (e.g. `diagnosis`)."""
    return Path(args.results_dir) / spec.profile / spec.get("out", "sweep")


def archive_dir(spec, args) -> Path:
    return out_dir(spec, args) / "records"


def knn_by_epoch(curves: Path) -> list[tuple[int, float]]:
    if not curves.is_file():
        return []
    with open(curves, newline="") as handle:
        return [(round(float(row["epoch"])), float(row["knn_top1"])) for row in csv.DictReader(handle)
                if row.get("knn_top1")]


def build_table(spec, args) -> list[dict]:
    """sweep.csv and sweep.md from the archive (points of the spec, in its order; missing runs left out); a
    `kind = 'diagnosis'` spec gets the training-dynamics table instead (`suite.diagnosis`)."""
    if spec.get("kind") == "diagnosis":
        from suite.diagnosis import build_diagnosis_table
        return build_diagnosis_table(spec, archive_dir(spec, args), out_dir(spec, args))
    base = archive_dir(spec, args)
    random = {variant: (read_record(base / "random" / variant) or {}).get("metrics", {}).get("knn_top1")
              for variant in spec.get("random_init", {})}
    rows = []
    for point in spec.points:
        for method in METHODS:
            record = read_record(base / point["name"] / method)
            if not record or record.get("status") != "finished":
                continue
            curve = knn_by_epoch(base / point["name"] / method / "curves.csv")
            rows.append({"point": point["name"], "method": method,
                         **settings(spec.bases[method], point.get("options", {})),
                         "val_knn_top1": record.get("metrics", {}).get("knn_top1"),
                         "val_knn_by_epoch": "; ".join(f"e{e}: {v:.2f}" for e, v in curve),
                         "train_s": record.get("train_s"), "wall_s": record.get("wall_s"),
                         "git_commit": record.get("git_commit")})
    out = out_dir(spec, args)
    out.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "sweep.csv", text.getvalue())
    atomic_write_text(out / "sweep.md", render(spec, rows, random))
    return rows


def select(spec, rows: list[dict], random: dict) -> tuple[str | None, list[str]]:
    """The point whose lower method is highest (both methods present), and one line per point."""
    by_point: dict[str, dict] = {}
    for row in rows:
        by_point.setdefault(row["point"], {})[row["method"]] = row
    floor = max((v for v in random.values() if v is not None), default=None)
    planned_methods = {point["name"]: set(point.get("methods", METHODS)) for point in spec.points}
    lines, best, best_value = [], None, None
    for name, methods in by_point.items():
        if set(methods) != set(METHODS):
            why = "so far" if set(methods) != planned_methods[name] else "(the spec leaves the other out)"
            lines.append(f"- `{name}`: {', '.join(sorted(methods))} only {why}")
            continue
        lower = min(methods[m]["val_knn_top1"] for m in METHODS)
        slowest = max(float(methods[m]["train_s"] or 0) for m in METHODS)
        margin = f"{lower - floor:+.2f} over the better random init" if floor is not None else "random init pending"
        lines.append(f"- `{name}`: lower of the two {lower:.2f} ({margin}); "
                     f"slower method trained {slowest / 60:.1f} min")
        if best_value is None or lower > best_value:
            best, best_value = name, lower
    return best, lines


def render(spec, rows: list[dict], random: dict) -> str:
    best, lines = select(spec, rows, random)
    floor = max((v for v in random.values() if v is not None), default=None)
    header = "| " + " | ".join(COLUMNS[:-1]) + " |\n|" + "---|" * (len(COLUMNS) - 1) + "\n"
    body = "".join("| " + " | ".join("" if row[c] is None else str(row[c]) for c in COLUMNS[:-1]) + " |\n"
                   for row in rows)
    rand = ", ".join(f"{variant}: {value if value is not None else 'pending'}" for variant, value in random.items())
    verdict = "no point has both methods yet"
    if best is not None:
        chosen = [r for r in rows if r["point"] == best]
        lower = min(r["val_knn_top1"] for r in chosen)
        slowest = max(float(r["train_s"] or 0) for r in chosen)
        limit = spec.get("goal_train_s")
        reached = floor is not None and lower >= floor + spec.goal_margin and (limit is None or slowest <= limit)
        verdict = (f"selected `{best}` (the highest lower-of-the-two val kNN, {lower:.2f}). Goal (both ≥ "
                   f"{spec.goal_margin:g} points over the better random init, {floor}"
                   f"{f', ≤ {limit / 60:g} min of training per run' if limit else ''}): "
                   f"{'reached' if reached else 'not reached'} at this point's epochs.")
    return (f"# Sweep `{spec.sweep}` (profile {spec.profile})\n\n"
            f"Spec: `configs/sweeps/{spec.sweep}.py` (what each point changes and why; settings stopped early, "
            f"and why, in its comments). Seed 0, one run per method "
            f"and point, pretrained on `train_minus_val` (45,000 images); kNN (k=200, T=0.1) of the last epoch on "
            f"the held-out `val` split (5,000), the 45,000 as the bank; the test split is never used. `train_s`: "
            f"seconds of training iterations (kNN monitor excluded); `wall_s`: the whole run, on the machine's "
            f"load at the time (2 cores; see the note of the session that ran it).\n\n"
            f"Random init, same splits: {rand}.\n\n{header}{body}\n" + "\n".join(lines) + f"\n\n**{verdict}**\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", help="the sweep spec, e.g. configs/sweeps/cifar10.py")
    parser.add_argument("--only", help="point names, comma-separated (the random-init references always run)")
    parser.add_argument("--data-root", default="data")
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--results-dir", default="results")
    parser.add_argument("--dry-run", action="store_true", help="print the commands; run none")
    parser.add_argument("--table-only", action="store_true", help="rebuild sweep.csv / sweep.md from the archive")
    parser.add_argument("--force", action="store_true", help="rerun finished runs (old dirs moved aside)")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    if args.table_only:
        build_table(spec, args)
        print(f"{out_dir(spec, args)}")
        return 0
    runs = planned(spec, args)
    if args.dry_run:
        for i, (point, method, command) in enumerate(runs, 1):
            print(f"[{i}/{len(runs)}] {point}/{method}: {' '.join(command[1:])}")
        return 0
    from suite.pipeline import generate_data  # the profile's data, as the pipeline makes it

    for line in generate_data(spec.profile, args.data_root, dry_run=False):
        print(line)
    failed = []
    for i, (point, method, command) in enumerate(runs, 1):
        work_dir = Path(command[command.index("--work-dir") + 1])
        log = work_dir.parent / f"{work_dir.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        print(f"[{i}/{len(runs)}] {point}/{method} (log: {log})", flush=True)
        start = time.monotonic()
        with open(log, "a") as handle:
            code = subprocess.call(command, cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT)
        print(f"    {'done' if code == 0 else f'failed (exit {code})'} in {time.monotonic() - start:.0f} s", flush=True)
        if code != 0:
            failed.append(f"{point}/{method}")
            continue
        archive(spec, args, point, method, work_dir)
        build_table(spec, args)
    print(f"table: {out_dir(spec, args)}"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
