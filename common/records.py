"""Run records: the one machine-readable file (`record.json`) each run writes next to its outputs.

The report and the orchestrator read only these records (contracts.md §3). A record is written when a run
starts (`status: running`) and rewritten when it ends (`finished` or `failed`), atomically each time.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

# 2 (contracts v5): the record pins its inputs — `code` (the suite's files the run imported, each hashed),
# `environment` (uv.lock, or the installed packages where the lock does not apply), the data's content hash in
# `inputs.dataset`, `git_diff_sha256` beside a `+dirty` commit and a caller's `git_commit_declared` beside ours.
SCHEMA = 2
REPO_ROOT = Path(__file__).resolve().parents[1]
STATUSES = ("running", "finished", "failed")
PACKAGES = ("common", "pretrain", "downstream", "suite")   # the suite's code, in layer order


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


# Results are written while runs go on (the report, archived records): a change there is not a change of the code.
DIRTY_IGNORES = (":(exclude)results",)


def git_state() -> dict:
    """`git_commit`: the checkout's HEAD, with `+dirty` when tracked files outside `results/` differ from it, and
    then `git_diff_sha256` (sha256 of that diff) beside it; "unknown" without git. `LEOCLR_GIT_COMMIT` (a copy run
    elsewhere, e.g. on the device machine, whose caller knows what it sent) is recorded beside it as
    `git_commit_declared`, never instead of it."""
    state = {"git_commit": "unknown", "git_diff_sha256": None}
    try:
        commit = _git("rev-parse", "HEAD").strip()
        diff = _git("diff", "HEAD", "--", ".", *DIRTY_IGNORES)
        state = {"git_commit": commit + ("+dirty" if diff else ""),
                 "git_diff_sha256": sha256_text(diff) if diff else None}
    except (OSError, subprocess.CalledProcessError):
        pass
    if os.environ.get("LEOCLR_GIT_COMMIT"):
        state["git_commit_declared"] = os.environ["LEOCLR_GIT_COMMIT"]
    return state


def git_commit() -> str:
    return git_state()["git_commit"]


def code_files() -> dict[str, str]:
    """{repo-relative path: sha256} of every module of the suite's packages (`PACKAGES`) loaded in this process:
    the code a run actually imported, config-named `custom_imports` included."""
    files = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        try:
            relative = Path(path).resolve().relative_to(REPO_ROOT)
        except ValueError:
            continue
        if relative.parts[0] in PACKAGES:
            files[relative.as_posix()] = sha256_file(path)
    return dict(sorted(files.items()))


def code_identity(files: dict[str, str]) -> dict:
    """The record's `code`: the files and one sha256 over them (what a reader compares at a glance)."""
    return {"sha256": sha256_text(json.dumps(files, sort_keys=True)), "files": files}


def changed_code(recorded: dict | None) -> list[str]:
    """The files of a record's `code` that differ in this checkout now (or are gone): why a run is stale."""
    changed = []
    for relative, digest in ((recorded or {}).get("files") or {}).items():
        path = REPO_ROOT / relative
        if not path.is_file():
            changed.append(f"{relative} (gone)")
        elif sha256_file(path) != digest:
            changed.append(relative)
    return changed


def environment() -> dict:
    """The software a run ran on: the sha256 of `uv.lock` (plus the mmcv version, kept out of the lock) when this
    process runs in the repo's `.venv`; otherwise (a GPU machine's own Python) the sha256 of the installed
    package list, which is kept in the record too."""
    from importlib import metadata

    lock, venv = REPO_ROOT / "uv.lock", REPO_ROOT / ".venv"
    mmcv = next((d.version for d in metadata.distributions() if (d.metadata["Name"] or "").lower() == "mmcv"), None)
    if lock.is_file() and venv.is_dir() and Path(sys.prefix).resolve() == venv.resolve():
        return {"kind": "uv.lock", "sha256": sha256_file(lock), "mmcv": mmcv}
    packages = sorted({f"{(d.metadata['Name'] or '?').lower()}=={d.version}" for d in metadata.distributions()})
    return {"kind": "packages", "sha256": sha256_text("\n".join(packages)), "python": platform.python_version(),
            "packages": packages}


def same_environment(recorded: dict | None, current: dict) -> bool:
    keys = ("kind", "sha256", "mmcv")
    return bool(recorded) and all(recorded.get(k) == current.get(k) for k in keys)


def hardware() -> dict:
    info = {"host": socket.gethostname(), "platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count()}
    try:
        import torch
        info["torch"] = torch.__version__
        info["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        info["gpus"] = torch.cuda.device_count()
        info["world_size"] = int(os.environ.get("WORLD_SIZE", 1))
    except ImportError:
        pass
    return info


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# What a resolved config holds that cannot change a run's results (contracts.md §3): where it runs, which file it
# was read from (relative to the cwd) and how its processes were started.
HASH_EXCLUDED_KEYS = ("work_dir", "config_path", "launcher")


def config_sha256(cfg) -> str:
    """sha256 of the fully resolved mmengine config (after `_base_` and `--cfg-options`), without the keys that
    cannot change results (`HASH_EXCLUDED_KEYS`)."""
    from mmengine.config import Config
    resolved = Config(dict(cfg.to_dict()))
    for key in HASH_EXCLUDED_KEYS:
        resolved.pop(key, None)
    return sha256_text(resolved.pretty_text)


def config_file_sha256(config_path: str | os.PathLike) -> str:
    """sha256 of a config file as mmengine resolves it (its `_base_` chain included), before any run-time
    option: what the orchestrator compares to decide that a finished run is still current."""
    from mmengine.config import Config
    return sha256_text(Config.fromfile(str(config_path)).pretty_text)


def archive_run(record: dict, run_dir: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy a finished run's record (its `_`-prefixed in-memory fields dropped) and its curves CSV from `run_dir` to
    `target`: how the committed archives (`results/<profile>/records/`, a sweep's `records/`) are filled."""
    import shutil

    path = write_record(target, {k: v for k, v in record.items() if not k.startswith("_")})
    curves = Path(run_dir) / record["curves"] if record.get("curves") else None
    if curves is not None and curves.is_file():
        shutil.copyfile(curves, Path(target) / curves.name)
    return path


def read_record(run_dir: str | os.PathLike) -> dict | None:
    path = Path(run_dir) / "record.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); move it aside to rerun this stage") from err


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a text file so that a killed writer never leaves half of it (READMEs, CSVs, curves, provenance)."""
    return _atomic_write(Path(path), text)


def write_record(run_dir: str | os.PathLike, record: dict) -> Path:
    """Write `record.json` atomically (a killed writer never leaves a half file)."""
    assert record.get("status") in STATUSES, record.get("status")
    return _atomic_write(Path(run_dir) / "record.json",
                         json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


def new_record(*, stage: str, profile: str, run_id: str, config: str, cfg, seed: int, method: str,
               inputs: dict | None = None, rows: list | None = None) -> dict:
    return {
        "schema": SCHEMA, "stage": stage, "profile": profile, "run_id": run_id,
        "config": os.path.relpath(config, REPO_ROOT) if os.path.isabs(config) else config,
        "config_sha256": config_sha256(cfg), "config_file_sha256": config_file_sha256(config),
        **git_state(), "code": code_identity(code_files()), "environment": environment(), "seed": seed,
        "inputs": inputs or {}, "method": method, "metrics": {}, "rows": rows or [], "curves": None,
        "hardware": hardware(), "started": now(), "finished": None, "wall_s": None,
        "status": "running", "error": None,
    }


# ---- run lifecycle shared by every runner (contracts.md §3) -------------------------------------------------
def add_common_args(parser) -> None:
    """The flags every runner shares: --work-dir --profile --seed --data-root --cfg-options --force --resume
    --rows --launcher."""
    from mmengine.config import DictAction

    parser.add_argument("--work-dir", help="run directory (default runs/<profile>/<stage>/<run_id>)")
    parser.add_argument("--profile", help="smoke | paper (default: the config's `profile`)")
    parser.add_argument("--seed", type=int, help="overrides the config's seed")
    parser.add_argument("--data-root", help="root holding the datasets; replaces the config's data roots")
    parser.add_argument("--resume", default="auto",
                        help="'auto' (resume from the work dir's last checkpoint if any), 'none', or a checkpoint")
    parser.add_argument("--force", action="store_true", help="rerun a finished run (the old dir is moved aside)")
    parser.add_argument("--rows", default="", help="table rows this run feeds: table:row[,table:row...]")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    parser.add_argument("--allow-batch-mismatch", action="store_true",
                        help="run although the global batch differs from the config's protocol_batch (recorded and "
                             "flagged in the report)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="override config keys, e.g. train_cfg.max_iters=50")


def batch_fields(cfg, world_size: int, allow_mismatch: bool = False, *, dataloader: str = "train_dataloader"
                 ) -> dict:
    """The batch guard (contracts.md §7): the run's global batch (world size × per-device batch × gradient
    accumulation) against the config's `protocol_batch`. A mismatch is refused unless `allow_mismatch`; the
    returned fields (`global_batch`, `protocol_batch`, `batch_mismatch`) go into the record. Configs without
    `protocol_batch` (smoke, tiny) are not guarded."""
    accumulation = int((cfg.get("optim_wrapper") or {}).get("accumulative_counts", 1))
    global_batch = int(world_size) * int(cfg[dataloader].batch_size) * accumulation
    protocol = cfg.get("protocol_batch")
    fields = {"global_batch": global_batch, "protocol_batch": protocol,
              "batch_mismatch": protocol is not None and global_batch != int(protocol)}
    if fields["batch_mismatch"] and not allow_mismatch:
        raise SystemExit(
            f"{cfg.get('config_path') or 'config'}: global batch {global_batch} (world size {world_size} × batch "
            f"{cfg[dataloader].batch_size} per device × accumulation {accumulation}) differs from the protocol's "
            f"protocol_batch {protocol}. Run on more devices (e.g. --gpus {max(1, int(protocol) // int(cfg[dataloader].batch_size))}"
            f" in the pipeline), set the batch with --cfg-options, or pass --allow-batch-mismatch to run anyway "
            f"(the record and the report then flag the row).")
    return fields


def parse_rows(text: str) -> list[dict]:
    rows = []
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        table, sep, row = item.partition(":")
        if not sep or not table or not row:
            raise ValueError(f"--rows entry {item!r}: expected table:row")
        rows.append({"table": table, "row": row})
    return rows


def move_aside(work_dir: str | os.PathLike, tag: str = "old") -> Path:
    """Rename a run directory to `<run_id>.<tag>-<timestamp>` (runs are never deleted)."""
    work_dir = Path(work_dir)
    aside = work_dir.with_name(f"{work_dir.name}.{tag}-{_dt.datetime.now():%Y%m%d-%H%M%S}")
    os.replace(work_dir, aside)
    return aside


def _input_hashes(inputs: dict | None) -> dict:
    return {name: (value or {}).get("sha256") for name, value in (inputs or {}).items()}


def prepare_run_dir(work_dir: str | os.PathLike, cfg_hash: str, inputs: dict | None = None,
                    force: bool = False) -> str:
    """Decide what to do with a run directory (contracts.md §3) and return 'fresh', 'resume' or 'skip':
    - no record: 'fresh';
    - `finished` with the same config and input hashes: 'skip'; with others: refused, naming both, unless `force`;
    - `running` (a killed run) with the same hashes: 'resume' from its last checkpoint ('fresh' if it wrote
      none); with others: refused, naming both, unless `force` (a resumed state from another config or input
      would finish under the new hashes);
    - `failed`: moved aside to `<run_id>.failed-<timestamp>` and rerun from scratch.
    `force` moves the old directory aside to `<run_id>.old-<timestamp>`; nothing is deleted. Under several
    processes call it through `common.launch.rank_zero_decides`, so that one process moves and all agree."""
    work_dir = Path(work_dir)
    record = read_record(work_dir)
    if record is None:
        return "fresh"
    status = record.get("status")
    if status == "failed":
        aside = move_aside(work_dir, "failed")
        print(f"{work_dir}: the previous attempt failed ({record.get('error')}); moved aside to {aside}, "
              f"rerunning from scratch")
        return "fresh"
    old_inputs, new_inputs = _input_hashes(record.get("inputs")), _input_hashes(inputs)
    same = record.get("config_sha256") == cfg_hash and old_inputs == new_inputs
    if force:
        print(f"--force: moved the {status} run aside to {move_aside(work_dir)}")
        return "fresh"
    if same:
        if status == "finished":
            return "skip"
        return "resume" if (work_dir / "last_checkpoint").exists() else "fresh"
    what = "a finished run" if status == "finished" else f"an interrupted run (status {status!r})"
    raise SystemExit(
        f"{work_dir} holds {what} made from other inputs:\n"
        f"  config_sha256 recorded {record.get('config_sha256')}, now {cfg_hash}\n"
        f"  inputs recorded {old_inputs}, now {new_inputs}\n"
        f"Use another --work-dir, or --force (moves the old run aside, never deletes it).")


# Files a dataset folder may hold that are not its data: our own bookkeeping, rewritten without the data changing.
NOT_DATA = {"manifest.json", ".DS_Store"}
HASH_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "leoclr-suite" / "content-hash"


def content_sha256(root: str | os.PathLike) -> dict:
    """The content hash of a dataset folder (contracts v5): sha256 over the sorted lines `relative path, size,
    sha256 of the file` — no dates, no commands. Each file's sha256 is cached by (size, mtime) under
    `HASH_CACHE`, so a second run reads only the listing. {"sha256", "files", "bytes"}."""
    root = Path(root)
    cache_file = HASH_CACHE / (sha256_text(str(root.resolve())) + ".json")
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    lines, fresh, total = [], {}, 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in NOT_DATA):
        relative, stat = path.relative_to(root).as_posix(), path.stat()
        known = cache.get(relative)
        digest = known[2] if known and known[:2] == [stat.st_size, stat.st_mtime_ns] else sha256_file(path)
        fresh[relative] = [stat.st_size, stat.st_mtime_ns, digest]
        lines.append(f"{relative}\t{stat.st_size}\t{digest}\n")
        total += stat.st_size
    if fresh != cache:
        try:
            _atomic_write(cache_file, json.dumps(fresh))
        except OSError:
            pass  # a read-only home only costs re-hashing next time
    return {"sha256": sha256_text("".join(lines)), "files": len(lines), "bytes": total}


def portable_path(path: str | os.PathLike, data_root: str | os.PathLike | None = None) -> str:
    """A path as a record may hold it: relative to the data root it was given, else to the repository, else
    only its last two parts — never a host path outside them."""
    resolved = Path(path).resolve()
    for base in filter(None, (data_root, REPO_ROOT)):
        base = Path(base).resolve()
        if resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix()
    return "…/" + "/".join(Path(path).parts[-2:])


def portable_report(report: dict) -> dict:
    """A backbone load report (`pretrain.checkpoints.LoadReport.to_dict()`) with its checkpoint paths (its own
    and its export sidecar's) portable."""
    def portable(path):
        return path if path in (None, "random") else portable_path(path)

    report = {**report, "source": portable(report.get("source"))}
    if isinstance(report.get("sidecar"), dict) and report["sidecar"].get("source"):
        report["sidecar"] = {**report["sidecar"], "source": portable(report["sidecar"]["source"])}
    return report


def dataset_input(dataset_dir: str | os.PathLike, data_root: str | os.PathLike | None = None,
                  fingerprint: dict | None = None) -> dict:
    """A dataset as a record input: its path relative to the data root, and its content hash — `fingerprint`
    when the reader gives one (CIFAR-10: the decoded arrays and the source file), else `content_sha256` of the
    folder. A folder that does not exist gets sha256 None (the run then fails on it, in its record)."""
    entry = {"path": portable_path(dataset_dir, data_root)}
    if fingerprint is not None:
        return {**entry, **fingerprint}
    if not Path(dataset_dir).is_dir():
        return {**entry, "sha256": None, "hashed": "missing"}
    return {**entry, **content_sha256(dataset_dir), "hashed": "content"}


# A process that dies of these was interrupted, not wrong: Ctrl-C, or a peer rank lost under torchrun (its
# collectives then fail on this rank before torchrun's SIGTERM arrives).
_PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "Broken pipe")


def _interrupted(exc: BaseException) -> bool:
    if isinstance(exc, KeyboardInterrupt):
        return True
    try:
        from torch.distributed import DistNetworkError
        if isinstance(exc, DistNetworkError):
            return True
    except ImportError:
        pass
    return isinstance(exc, RuntimeError) and any(text in str(exc) for text in _PEER_LOST)


def process_started() -> float:
    """When this process started (epoch seconds): imports count as start-up too."""
    try:
        import psutil
        return psutil.Process().create_time()
    except (ImportError, OSError):
        import time
        return time.time()


class RunRecorder:
    """Writes `record.json` as `running` on start, `failed` (with the error) if the body raises, and
    `finished` via `finish(...)`. Wall time accumulates over resumed attempts. Only the main process writes.

    `startup_s` (this attempt): from the process start (imports, config, model and data building) to the first
    training or evaluation step, marked by `first_step()` (the `first_step_hook()` calls it); `work_s` the rest of
    the attempt. Where the time of a run goes is then in its record (issue 19)."""

    def __init__(self, work_dir, record: dict, main_process: bool = True):
        self.work_dir, self.record, self.main_process = Path(work_dir), record, main_process
        previous = read_record(work_dir) or {}
        self.wall_before = float(previous.get("wall_s") or 0.0) if previous.get("status") != "finished" else 0.0
        self.t0 = None

    def _wall(self) -> float:
        import time
        return round(self.wall_before + time.time() - self.t0, 1)

    def first_step(self) -> None:
        import time
        if "startup_s" not in self.record:
            self.record["startup_s"] = round(time.time() - process_started(), 1)

    def first_step_hook(self):
        """An mmengine hook that marks the first training / validation / test iteration (built here lazily:
        this module imports no mmengine at load)."""
        from mmengine.hooks import Hook

        recorder = self

        class FirstStepHook(Hook):
            priority = "VERY_HIGH"

            def before_train_iter(self, runner, batch_idx, data_batch=None):
                recorder.first_step()

            before_val_iter = before_test_iter = before_train_iter

        return FirstStepHook()

    def __enter__(self):
        import time
        self.t0 = time.time()
        if self.main_process:
            write_record(self.work_dir, self.record)
        return self

    def finish(self, metrics: dict, **fields) -> dict:
        if self.record.get("code"):  # modules imported since the start (lazily, by hooks) join; earlier hashes stay
            self.record["code"] = code_identity({**code_files(), **self.record["code"]["files"]})
        self.first_step()  # a run with no mmengine iterations (the probe): all of it until now was start-up
        self.record.update(fields, metrics=metrics, status="finished", finished=now(), wall_s=self._wall(),
                           error=None)
        import time
        self.record["work_s"] = round(time.time() - process_started() - self.record["startup_s"], 1)
        if self.main_process:
            write_record(self.work_dir, self.record)
        return self.record

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and _interrupted(exc):
            return False  # the record stays `running`: rerunning the command resumes from the last checkpoint
        if exc is not None and self.main_process:
            self.record.update(status="failed", error=f"{exc_type.__name__}: {exc}", finished=now(),
                               wall_s=self._wall())
            write_record(self.work_dir, self.record)
        return False
