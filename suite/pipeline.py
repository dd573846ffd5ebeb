"""The whole DAG behind `reproduce_all.sh`: data → pretraining (both methods) → every downstream protocol → report.

    python -m suite.pipeline                                  # smoke profile, seed 0
    python -m suite.pipeline --profile paper --dry-run --data-root /datasets
    python -m suite.pipeline --only voc_det --gpus 8          # one table, 8 GPUs per run (torchrun)
    python -m suite.pipeline --seeds 0,1,2                    # seed repeats (pretraining, kNN, linear)
    python -m suite.pipeline --profile tiny --runs-dir /tmp/r --results-dir /tmp/res --data-root /tmp/d  # CI

Resumable: a run whose record is finished with the same config (file hash) and the same input checkpoint is
skipped without starting a process; an interrupted run resumes from its last checkpoint (the runner decides);
finished work is never overwritten without `--force` (then it is moved aside, never deleted). Each run is a
separate process (mmengine registries and singletons stay per run); its output goes to
`<runs-dir>/<profile>/logs/<run_id>.log`, the report to `<results-dir>/<profile>/`.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from suite import aggregate, report
from suite.plan import plan
from suite.tables import PROFILES, STAGES, TableError
from common.records import move_aside, read_record, sha256_file
from suite.freshness import LEGACY, LEGACY_NOTE, STALE, freshness, legacy_reasons

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_CONFIG = "configs/data/{profile}.py"
# Profiles whose data the pipeline makes before any run: rendered scenes, or CIFAR-10 decoded into its cache. The
# paper profile reads datasets prepared with `python -m suite.prepare` (REPRODUCE.md).
DATA_PROFILES = ("smoke", "tiny", "cifar10", "cifar10-gpu")


def _run_quietly(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{(result.stderr or result.stdout)[-2000:]}")
    print("    " + (result.stdout.strip().splitlines() or ["done"])[-1], flush=True)


def cifar10_command(spec: dict, data_root: str, download: bool) -> list[str] | None:
    """`python -m pretrain.datasets.cifar ROOT [--source FILE] [--download]`, or None when the cache is there already. A
    `candidates` file is the source only when pretrain.datasets.cifar finds no copy of its own."""
    from pretrain.datasets.cifar import find_cifar10
    root = Path(data_root) / spec["folder"]
    found = find_cifar10(root)
    if found is not None and found[0] == "cache":
        return None
    command = [sys.executable, "-m", "pretrain.datasets.cifar", str(root)]
    source = next((REPO_ROOT / c for c in spec.get("candidates", []) if (REPO_ROOT / c).is_file()), None)
    if source is not None and found is None:
        command += ["--source", str(source)]
    return command + (["--download"] if download else [])


def data_config(profile: str):
    """configs/data/<profile>.py for a profile whose data the pipeline makes (None for the others). A profile that
    needs data made and has no data config is an error naming the file."""
    if profile not in DATA_PROFILES:
        return None
    path = REPO_ROOT / DATA_CONFIG.format(profile=profile)
    if not path.exists():
        raise SystemExit(f"error: the {profile} profile needs its data made before it runs, but its data config "
                         f"{path} is missing (it names the datasets; see configs/data/)")
    from mmengine.config import Config
    return Config.fromfile(str(path))


def generate_data(profile: str, data_root: str, dry_run: bool, download: bool = False) -> list[str]:
    """Make the data named in configs/data/<profile>.py: render the scenes (the generator skips a folder that
    already holds the same parameters) or decode CIFAR-10 into its cache."""
    data_cfg = data_config(profile)
    if data_cfg is None:
        return []
    lines = []
    if data_cfg.get("cifar10"):
        command = cifar10_command(data_cfg.cifar10, data_root, download)
        if command:
            lines.append(shlex.join(command))
            if not dry_run:
                print(f"[data] {data_cfg.cifar10['folder']} (CIFAR-10, decoded once into its cache)", flush=True)
                _run_quietly(command, f"preparing {Path(data_root) / data_cfg.cifar10['folder']}")
    for spec in data_cfg.get("scenes", []):
        out = Path(data_root) / spec["name"]
        command = [sys.executable, "-m", "pretrain.datasets.scenes", "--out", str(out), "--seed", str(spec["seed"]),
                   "--size", str(spec["size"]), "--image-size", str(spec["image_size"]),
                   "--variant", spec.get("variant", "default")]
        lines.append(shlex.join(command))
        if not dry_run:
            print(f"[data] {spec['name']}", flush=True)
            _run_quietly(command, f"generating {out}")
    return lines


def run_diagnostics(profile: str, data_root: str, runs_dir: str, dry_run: bool) -> list[str]:
    """The data config's `diagnostics` (no training, seconds): the crop-overlap measurement of the paper's premise,
    into `<runs-dir>/<profile>/diagnostic/` (skipped when finished with the same settings)."""
    data_cfg = data_config(profile)
    lines = []
    for spec in (data_cfg or {}).get("diagnostics", []):
        if spec["type"] != "crop_overlap":
            raise SystemExit(f"{DATA_CONFIG.format(profile=profile)}: unknown diagnostic type {spec['type']!r} "
                             f"(known: crop_overlap)")
        images = Path(data_root) / spec["dataset"]
        out = Path(runs_dir) / profile / "diagnostic" / f"crop_overlap-{spec['dataset']}-{spec['split']}"
        command = [sys.executable, "-m", "pretrain.crop_overlap", "--coco",
                   str(images / "annotations" / f"instances_{spec['split']}.json"), "--images", str(images),
                   "--profile", profile, "--out", str(out)]
        lines.append(shlex.join(command))
        if not dry_run:
            print(f"[diagnostic] crop overlap on {spec['dataset']} ({spec['split']})", flush=True)
            _run_quietly(command, f"the crop-overlap diagnostic on {images}")
    return lines


def pretrain_output(run, archive: Path | None) -> str | None:
    """The sha256 of the backbone a downstream run would read now: its pretraining's record (run dir, else
    archive) says what it exported."""
    dependency = getattr(run, "pretrain_run", None)
    if not dependency:
        return None
    work_dir = Path(run.work_dir).parent.parent / "pretrain" / dependency
    record = read_record(work_dir) or (read_record(archive / "pretrain" / dependency) if archive else None)
    return (((record or {}).get("outputs") or {}).get("backbone") or {}).get("sha256")


def finished_record(run, archive: Path | None) -> tuple[dict | None, str, Path | None]:
    """(record, where, its folder): the run directory's record, else an archived finished one."""
    record = read_record(run.work_dir)
    if record is not None:
        return record, "finished", Path(run.work_dir)
    if archive is not None:
        folder = archive / run.stage / run.run_id
        archived = read_record(folder)
        if archived and archived.get("status") == "finished":
            return archived, f"finished, archived in {archive}", folder
    return None, "new", None


def run_state(run, checkpoint: str | None, archive: Path | None = None, data_root: str | None = None
              ) -> tuple[str, str]:
    """('run' | 'skip' | 'stale', why). A finished run (in its run directory, or archived under `archive` =
    `results/<profile>/records/`, committed, so a study accumulates over sessions and clones) is skipped only when
    nothing it depends on changed: its config file, its code files, the environment, its input checkpoint (what
    its pretraining exported) and its data (re-hashed under `data_root` when there). Otherwise it is stale: kept
    and reported, rerun only with `--rerun-stale` (or `--force`). A schema-1 record pins no code, environment or
    data: it is legacy, compared on its config and input checkpoint alone and never rerun for the rest."""
    record, where, _ = finished_record(run, archive)
    if record is None:
        return "run", "new"
    if record.get("status") != "finished":
        return "run", f"{record.get('status')} → resume"
    checkpoint_sha = pretrain_output(run, archive)
    if checkpoint_sha is None and checkpoint and Path(checkpoint).exists():
        checkpoint_sha = sha256_file(checkpoint)
    state, reasons = freshness(record, run.config, checkpoint_sha256=checkpoint_sha, data_root=data_root)
    if state == LEGACY:
        reasons = legacy_reasons(record, run.config, checkpoint_sha256=checkpoint_sha)
        return ("stale", "; ".join(reasons) + " (legacy record)") if reasons else ("skip", f"{where}; {LEGACY_NOTE}")
    return ("stale", "; ".join(reasons)) if state == STALE else ("skip", where)


def supersede(run, archive: Path | None) -> list[Path]:
    """Move a stale run's record out of the way before it is rerun: the run directory to
    `<run_id>.superseded-<date>` and the archived record likewise (committed: the old number stays on file)."""
    moved = []
    if read_record(run.work_dir) is not None:
        moved.append(move_aside(run.work_dir, "superseded"))
    folder = archive / run.stage / run.run_id if archive is not None else None
    if folder is not None and folder.is_dir():
        moved.append(move_aside(folder, "superseded"))
    return moved


def is_current(run, checkpoint: str | None) -> tuple[bool, str]:
    state, why = run_state(run, checkpoint)
    return state == "skip", why


def launch_prefix(python: str, gpus: int, slurm: bool) -> list[str]:
    if slurm:
        return ["srun", f"--ntasks-per-node={max(gpus, 1)}", f"--gpus-per-node={max(gpus, 1)}", python]
    if gpus > 1:
        return [python, "-m", "torch.distributed.run", f"--nproc_per_node={gpus}"]
    return [python]


def with_launcher(command: list[str], gpus: int, slurm: bool) -> list[str]:
    """`python -m module …` → the launcher's form, adding `--launcher pytorch|slurm` for several processes."""
    assert command[1] == "-m", command
    launcher = ["--launcher", "slurm"] if slurm else (["--launcher", "pytorch"] if gpus > 1 else [])
    return launch_prefix(command[0], gpus, slurm) + command[1:] + launcher


def parse_gpus(text: str) -> dict:
    """`--gpus 8` (every stage) or `--gpus pretrain=8,detection=8,segmentation=4` (per stage, others 1) →
    {stage: n} with a default under None."""
    if "=" not in text:
        return {None: _positive(text, "--gpus")}
    gpus = {None: 1}
    for item in filter(None, (part.strip() for part in text.split(","))):
        stage, _, n = item.partition("=")
        if stage not in STAGES:
            raise SystemExit(f"--gpus {text!r}: unknown stage {stage!r} (stages: {', '.join(STAGES)})")
        gpus[stage] = _positive(n, f"--gpus {stage}")
    return gpus


def seed_list(text: str) -> str:
    """`--seeds 0,1,2`: non-negative integers, comma-separated (argparse turns the error into the usage line)."""
    items = [item.strip() for item in text.split(",")]
    if not items or not all(item.isdigit() for item in items):
        raise argparse.ArgumentTypeError(f"expected comma-separated non-negative integers such as 0,1,2, got {text!r}")
    return ",".join(items)


def _positive(text: str, what: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"{what}: expected a positive number of GPUs, got {text!r}")
    return int(text)


def run_command(run, args, python: str) -> list[str]:
    """The command line of one run as the pipeline launches it (and `--dry-run` prints it): its stage's GPU
    count and launcher, then the flags passed through to every run."""
    gpus = args.gpus.get(run.stage, args.gpus[None])
    command = with_launcher(run.command(args.data_root, python=python), gpus, args.slurm)
    command += ["--allow-batch-mismatch"] if args.allow_batch_mismatch else []
    return command + (["--cfg-options", *args.cfg_options] if args.cfg_options else [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default="smoke")
    parser.add_argument("--only", help="table ids (or table:row), comma-separated; default all tables")
    parser.add_argument("--seeds", default="0", type=seed_list, help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--data-root", default="data", help="root of the datasets (default ./data)")
    parser.add_argument("--runs-dir", default="runs", help="where run directories go (default ./runs)")
    parser.add_argument("--results-dir", default="results",
                        help="where the report writes <profile>/ (default ./results)")
    parser.add_argument("--dry-run", action="store_true", help="print every command with its estimate; run none")
    parser.add_argument("--force", action="store_true",
                        help="rerun the selected tables' finished downstream runs (old dirs moved aside, never deleted)")
    parser.add_argument("--force-pretrain", action="store_true", help="with --force: rerun pretraining runs too")
    parser.add_argument("--rerun-stale", action="store_true",
                        help="rerun finished runs whose config, code, environment or inputs changed since they ran "
                             "(the old record moves to <run_id>.superseded-<date>/, archived copies too)")
    parser.add_argument("--gpus", type=parse_gpus, default={None: 1},
                        help="GPUs per run (torchrun when > 1): N for every stage, or per stage, e.g. "
                             "pretrain=8,detection=8,segmentation=4 (the others 1): each table at its protocol's "
                             "batch in one command")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                        help="passed to every run (e.g. train_dataloader.num_workers=4); the runners then decide "
                             "skip/resume/refuse from the resolved config's hash")
    parser.add_argument("--slurm", action="store_true", help="launch each run through srun (--launcher slurm)")
    parser.add_argument("--keep-going", action="store_true", help="after a failed run, go on with the others")
    parser.add_argument("--download", action="store_true",
                        help="cifar10 profiles: fetch CIFAR-10 through torchvision when no copy is found")
    parser.add_argument("--allow-batch-mismatch", action="store_true",
                        help="passed to every run: run paper configs at a global batch other than their protocol's "
                             "(recorded, and flagged in the report)")
    args = parser.parse_args(argv)
    t0 = time.time()
    try:
        the_plan = plan(args.profile, args.seeds, args.only, args.data_root, runs_dir=args.runs_dir)
        if args.only:  # a selected run still feeds (and records) every row of every table that shares it
            full = {run.run_id: run for run in plan(args.profile, args.seeds, None, args.data_root,
                                                    runs_dir=args.runs_dir).runs}
            the_plan.pretrain_runs = [full[run.run_id] for run in the_plan.pretrain_runs]
            the_plan.downstream_runs = [full[run.run_id] for run in the_plan.downstream_runs]
    except TableError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    print(f"== {args.profile} profile, seeds {args.seeds}, tables: {', '.join(the_plan.tables)}")
    data_lines = generate_data(args.profile, args.data_root, args.dry_run, args.download)
    data_lines += run_diagnostics(args.profile, args.data_root, args.runs_dir, args.dry_run)
    if args.dry_run:
        print(f"{len(the_plan.pretrain_runs)} pretraining runs, {len(the_plan.downstream_runs)} downstream runs"
)
        for line in data_lines:
            print(f"[data] {line}")
        runs = the_plan.pretrain_runs + the_plan.downstream_runs
        archive = Path(args.results_dir) / args.profile / "records" \
            if args.profile in aggregate.ARCHIVED_PROFILES else None
        for index, run in enumerate(runs, 1):
            command = run_command(run, args, python="python")
            print(f"[{index}/{len(runs)}] {run.stage:12} ~{run.estimate or '?'}  {shlex.join(command)}")
            checkpoint = run.checkpoint_arg(args.data_root) if hasattr(run, "checkpoint_arg") else None
            state, why = run_state(run, checkpoint, archive, args.data_root)
            if (state, why) != ("run", "new"):
                print(f"    {'STALE' if state == 'stale' else state}: {why}")
        for table, row, why in the_plan.skipped_rows:
            print(f"[not run] {table}:{row} ({why})")
        totals = ", ".join(f"{value:g} {unit}" for unit, value in the_plan.estimate_total().items())
        print(f"total estimate: {totals}")
        return 0

    logs = Path(args.runs_dir) / args.profile / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    failed: dict[str, str] = {}
    stale: list[str] = []
    runs = the_plan.pretrain_runs + the_plan.downstream_runs
    archive = Path(args.results_dir) / args.profile / "records" if args.profile in aggregate.ARCHIVED_PROFILES else None
    for index, run in enumerate(runs, 1):
        head = f"[{index}/{len(runs)}] {run.stage:12} {run.run_id}"
        dependency = getattr(run, "pretrain_run", None)
        if dependency in failed:
            failed[run.run_id] = f"needs {dependency}, which failed"
            print(f"{head}: not run ({failed[run.run_id]})")
            continue
        checkpoint = run.checkpoint_arg(args.data_root) if hasattr(run, "checkpoint_arg") else None
        state, why = run_state(run, checkpoint, archive, args.data_root)
        if state == "run" and dependency and checkpoint and not Path(checkpoint).exists() and archive is not None:
            # its pretraining is archived (record, no checkpoint): it cannot run from here
            failed[run.run_id] = (f"needs {checkpoint}; {dependency} is archived without its checkpoint "
                                  f"(rerun it: --force --force-pretrain --only <its row>)")
            print(f"{head}: not run ({failed[run.run_id]})")
            continue
        if args.cfg_options and state in ("skip", "stale"):
            # the file hashes cannot see the options: the runner compares the resolved config's hash
            state, why = "run", "--cfg-options given: the runner checks its finished record"
        forced = args.force and (run.stage != "pretrain" or args.force_pretrain)
        if state == "skip" and not forced:
            print(f"{head}: skipped ({why})")
            continue
        if state == "stale" and not forced and not args.rerun_stale:
            stale.append(run.run_id)
            print(f"{head}: STALE, kept ({why}); --rerun-stale reruns it, superseding the old record")
            continue
        if state == "stale" and args.rerun_stale and not forced:
            moved = supersede(run, archive)  # here, in one process, rather than racing between ranks
            why = f"stale ({why}); --rerun-stale: old record moved to {', '.join(map(str, moved))}"
        elif forced and read_record(run.work_dir) is not None:
            aside = move_aside(run.work_dir)  # here, in one process, rather than racing between ranks
            why = f"--force: old run moved to {aside}"
            if archive is not None and (archive / run.stage / run.run_id).is_dir():
                why += f"; archived record moved to {move_aside(archive / run.stage / run.run_id, 'superseded')}"
        command = run_command(run, args, python=sys.executable)
        log = logs / f"{run.run_id}.log"
        print(f"{head}: running ({why}; log {log})", flush=True)
        start = time.time()
        with open(log, "a") as handle:
            handle.write(f"\n$ {shlex.join(command)}\n")
            handle.flush()
            code = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ,
                                  "PYTHONUNBUFFERED": "1"}).returncode
        record = read_record(run.work_dir) or {}
        if code != 0 or record.get("status") != "finished":
            failed[run.run_id] = f"exit code {code}; see {log}"
            print(f"    FAILED after {time.time() - start:.0f} s: {record.get('error') or failed[run.run_id]}")
            tail = log.read_text().splitlines()[-15:]
            print("    " + "\n    ".join(tail))
            if not args.keep_going:
                break
            continue
        metrics = ", ".join(f"{k} {v}" for k, v in record.get("metrics", {}).items() if isinstance(v, (int, float)))
        print(f"    done in {time.time() - start:.0f} s: {metrics}")

    report_code = report.main(["--profile", args.profile, "--runs-dir", args.runs_dir, "--out", args.results_dir])
    if stale:
        print(f"== {len(stale)} stale run(s) kept, not rerun (use --force): {', '.join(stale)}")
    print(f"== {'FAILED: ' + ', '.join(failed) if failed else 'all runs finished'}; report written to "
          f"{args.results_dir}/{args.profile}/README.md; total {time.time() - t0:.0f} s")
    return 1 if failed or report_code else 0


if __name__ == "__main__":
    sys.exit(main())
