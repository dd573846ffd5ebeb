"""The GPU check's parts, each under a deadline, each writing its JSON as soon as it ends (`scripts/gpu_check.sh`
sets up Python and calls this; read its header first).

    python scripts/gpu_check.py OUT_DIR [--dry-run] [--work DIR]

OUT_DIR gets `summary.json` (the stack: GPU, driver, torch, CUDA; each part's status; rewritten after every
part), one `<part>.json` per part (command, deadline, seconds, return code, the figures or record it checked,
the output's tail) and `log.txt` (every part's output): at most 8 files, as the device tool brings back.
Run directories and generated data go under --work (default /tmp/leoclr-gpu-check), never under OUT_DIR.

Parts (deadlines in seconds, 480 in all; a part that ends early leaves its time unused):
  imports        40  import everything the parts use; fail fast, nothing else runs without it
  bench          90  pretrain.bench at R50/224, bf16 + channels_last: MoCo-v2 and LeOCLR model-only images/s,
                     ours vs a plain-PyTorch step, loader+step / model-only for the PIL and the device-views
                     loader with 8 and 16 workers, on synthetic ImageNet-sized JPEGs
  train100       90  100 iterations of pretrain.train under torchrun --nproc_per_node 1 (smoke LeOCLR config on
                     generated scenes, device-views loader, bf16); the record is checked
  cifar10-cache  40  CIFAR-10 decoded once from the carried JPEG tarball into the uint8 cache
  cifar10-mocov2 110 the cifar10-gpu configs through pretrain.train, training time capped at 60 s each
  cifar10-leoclr 110   (TrainTimeBudgetHook), then the record (epochs, kNN top-1) is checked

--dry-run: the import check with this Python, every config built with its options, every command written to
its JSON; nothing heavy runs (CI runs it: tests/test_gpu_check.py).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CARRIED_DATA = REPO / ".device" / "data" / "cifar10-jpeg.tar.gz"
CARRIED_WHEELS = REPO / ".device" / "wheels"
TRAIN_CONFIG = "configs/pretrain/smoke/leoclr_r18_1xb64-100it_scenes64.py"
CIFAR_CONFIGS = {"mocov2": "configs/pretrain/cifar10/mocov2_r18-cifar_1xb512-2min_cifar10.py",
                 "leoclr": "configs/pretrain/cifar10/leoclr_r18-cifar_1xb512-2min_cifar10.py"}
CIFAR_TRAIN_S = 60  # + start-up, the per-epoch kNN monitor and export: about 90 s of the 110 s deadline
# the device-views loader (pretrain/data.py) selected on the command line: the smoke config keeps the PIL one
DEVICE_VIEWS = ("model.data_preprocessor.type=DeviceViewsPreprocessor",
                "train_dataloader.collate_fn.type=device_views_collate",
                "train_dataloader.dataset.decode_size=64", "train_dataloader.num_workers=8")

IMPORT_CHECK = r"""
import json, importlib, subprocess
# the image's packages, the carried wheels (scripts/gpu_check.sh: WHEELS), and every module the parts run
mods = ["torch", "torchvision", "numpy", "PIL", "cv2", "yaml", "rich", "mmengine", "addict", "yapf", "termcolor",
        "platformdirs", "kornia", "kornia_rs", "pycocotools", "mmengine.runner", "pretrain.train", "pretrain.bench",
        "pretrain.data", "pretrain.mocov2", "pretrain.leoclr", "pretrain.hooks", "pretrain.loops",
        "pretrain.datasets.scenes", "pretrain.datasets.scenes_render", "pretrain.datasets.in_memory",
        "pretrain.datasets.cifar"]
versions = {m: getattr(importlib.import_module(m), "__version__", None) for m in mods}
import torch
stack = {"python": __import__("sys").version.split()[0], "torch": torch.__version__, "cuda": torch.version.cuda,
         "cudnn": torch.backends.cudnn.version(), "cuda_available": torch.cuda.is_available()}
if torch.cuda.is_available():
    stack["gpu"] = torch.cuda.get_device_name(0)
    stack["capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
    stack["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
try:
    query = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
    stack["driver"] = subprocess.run(query, capture_output=True, text=True, timeout=10).stdout.strip()
except (OSError, subprocess.SubprocessError):
    stack["driver"] = None
print("STACK " + json.dumps({"stack": stack, "versions": versions}))
"""


class Check:
    def __init__(self, out: Path, work: Path, dry_run: bool):
        self.out, self.work, self.dry_run = out, work, dry_run
        self.summary = {"dry_run": dry_run, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "stack": None,
                        "parts": {}}
        self.log = open(out / "log.txt", "a")

    def write(self, name: str, record: dict) -> None:
        (self.out / f"{name}.json").write_text(json.dumps(record, indent=1, default=str))
        self.summary["parts"][name] = {k: record.get(k) for k in ("status", "seconds", "deadline_s")}
        self.save_summary()

    def save_summary(self) -> None:
        (self.out / "summary.json").write_text(json.dumps(self.summary, indent=1, default=str))

    def part(self, name: str, command: list[str], deadline_s: int, check=None, heavy=True) -> dict:
        """Run `command` under `deadline_s`, then `check()` (reads what it wrote); the JSON is written either way."""
        record = {"part": name, "command": shlex.join(command), "deadline_s": deadline_s}
        if self.dry_run and heavy:
            record.update(status="dry-run")
            self.write(name, record)
            return record
        print(f"[gpu_check] {name} (deadline {deadline_s} s): {record['command']}", flush=True)
        code, seconds, output, timed_out = run(command, deadline_s, self.log)
        record.update(seconds=round(seconds, 1), returncode=code, timed_out=timed_out, tail=output[-3000:])
        record["status"] = "timeout" if timed_out else ("ok" if code == 0 else "failed")
        if check is not None:
            try:
                record["result"] = check(output)
            except Exception as err:  # a missing or malformed output file: say so in the JSON
                record["result"] = None
                record["check_error"] = f"{type(err).__name__}: {err}"
                if record["status"] == "ok":
                    record["status"] = "check-failed"
        self.write(name, record)
        print(f"[gpu_check] {name}: {record['status']} in {seconds:.0f} s", flush=True)
        return record


def run(command: list[str], deadline_s: float, log) -> tuple[int, float, str, bool]:
    """The command in its own session, its output appended to `log`; at the deadline SIGTERM to it (torchrun
    passes it on to its workers), then SIGKILL to whatever of its tree is left (torchrun's workers live in sessions
    of their own)."""
    log.write(f"\n===== {shlex.join(command)}\n")
    log.flush()
    offset = log.tell()
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        process.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        tree = descendants(process.pid)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for pid in [*tree, process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
    seconds = time.monotonic() - start
    with open(log.name, errors="replace") as handle:
        handle.seek(offset)
        output = handle.read()
    return process.returncode, seconds, output, timed_out


def descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [grandchild for child in children for grandchild in (child, *descendants(child))]


def travelling_mib() -> float | None:
    """What the device tool copies (tracked and untracked-not-ignored files, plus the carried .device/), in MiB:
    its limit is 64 MiB."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (e.g. on the device machine)
    files = [REPO / name for name in listed if name] + [p for p in (REPO / ".device").rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files if p.is_file()) / 2**20, 1)


def read_record(work_dir: Path, **expected) -> dict:
    record = json.loads((work_dir / "record.json").read_text())
    wrong = {k: (record.get(k), v) for k, v in expected.items() if record.get(k) != v}
    if wrong:
        raise ValueError(f"{work_dir}/record.json: {wrong} (recorded, expected)")
    keep = ("status", "iterations", "epochs", "global_batch", "metrics", "wall_s", "hardware", "config_sha256")
    return {k: record.get(k) for k in keep}


def train_options(config: str, data_root: Path, work_dir: Path, options: tuple[str, ...], launcher=()) -> list[str]:
    return [*launcher, "-m", "pretrain.train", config, "--data-root", str(data_root), "--work-dir", str(work_dir),
            "--cfg-options", *options]


def build_config(argv: list[str]) -> dict:
    """What pretrain.train would train, without training: the merged config's key settings (our own config files;
    mmengine executes config files, so nothing else is ever given to it)."""
    from pretrain import train
    from pretrain.data import check_loader_config

    args = train.parse_args(argv)
    cfg, seed, run_id = train.load_config(args)
    check_loader_config(cfg)
    hooks = {hook["type"]: {k: v for k, v in hook.items() if k != "type"} for hook in cfg.get("custom_hooks", [])}
    return {"config": args.config, "run_id": run_id, "seed": seed, "model": cfg.model.type,
            "batch_size": cfg.train_dataloader.batch_size, "dataset": cfg.train_dataloader.dataset.type,
            "data_root": cfg.train_dataloader.dataset.data_root, "train_cfg": dict(cfg.train_cfg),
            "preprocessor": cfg.model.data_preprocessor.type, "budget": hooks.get("TrainTimeBudgetHook")}


def budget_option(config: str) -> str:
    """`custom_hooks.<i>.max_train_s=…` for the config's TrainTimeBudgetHook (a list entry: by index)."""
    from mmengine.config import Config

    hooks = Config.fromfile(str(REPO / config)).get("custom_hooks", [])
    index = next((i for i, hook in enumerate(hooks) if hook["type"] == "TrainTimeBudgetHook"), None)
    if index is None:
        raise SystemExit(f"{config}: no TrainTimeBudgetHook in custom_hooks; the GPU check caps its time with it")
    return f"custom_hooks.{index}.max_train_s={CIFAR_TRAIN_S}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--work", default="/tmp/leoclr-gpu-check")
    args = parser.parse_args(argv)
    out, work = Path(args.out_dir).resolve(), Path(args.work).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    check = Check(out, work, args.dry_run)
    py = sys.executable

    # imports: everything below needs them; the stack goes to the summary
    imports = check.part("imports", [py, "-c", IMPORT_CHECK], 40, heavy=False,
                         check=lambda output: json.loads(output.split("STACK ", 1)[1].splitlines()[0]))
    check.summary["stack"] = (imports.get("result") or {}).get("stack")
    check.summary["carried"] = {"wheels": sorted(p.name for p in CARRIED_WHEELS.glob("*.whl")),
                                "cifar10_tarball": CARRIED_DATA.is_file(), "travelling_mib": travelling_mib()}
    check.save_summary()
    if imports["status"] != "ok":
        print(f"[gpu_check] import check failed; see {out / 'imports.json'}", file=sys.stderr)
        return 1
    if not args.dry_run and not check.summary["stack"]["cuda_available"]:
        print("[gpu_check] torch sees no GPU; the parts measure GPU runs (use --dry-run on a CPU)", file=sys.stderr)
        return 1

    # (a) throughput
    bench_json = work / "bench.json"
    check.part("bench", [py, "-m", "pretrain.bench", "--arch", "resnet50", "--size", "224", "--batch", "128",
                         "--device", "cuda", "--amp", "bf16", "--channels-last", "--workers", "8,16",
                         "--steps", "8", "--rounds", "3", "--images", "768", "--json", str(bench_json)],
               90, check=lambda _: json.loads(bench_json.read_text()))

    # (b) 100 iterations through the real trainer under torchrun (one process: NCCL, world size 1)
    scenes = work / "data"
    train_dir = work / "runs" / "train100"
    train_argv = train_options(TRAIN_CONFIG, scenes, train_dir,
                               ("train_cfg.max_iters=100", "default_hooks.checkpoint.interval=100", *DEVICE_VIEWS))
    check.summary["configs"] = {"train100": build_config([*train_argv[2:], "--amp", "bf16"])}
    generate = [py, "-m", "pretrain.datasets.scenes", "--out", str(scenes / "scenes-64"), "--seed", "0",
                "--size", "2000", "--image-size", "64", "--workers", "8"]
    torchrun = [py, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1"]
    train = [*torchrun, *train_argv, "--launcher", "pytorch", "--amp", "bf16"]
    check.part("train100", ["bash", "-c", f"{shlex.join(generate)} && exec {shlex.join(train)}"],
               90, check=lambda _: read_record(train_dir, status="finished", iterations=100))

    # (c) the cifar10-gpu configs on the carried CIFAR-10 copy, time-capped
    cifar_root = work / "cifar"
    check.part("cifar10-cache", [py, "-m", "pretrain.datasets.cifar", str(cifar_root / "cifar10"), "--source",
                                 str(CARRIED_DATA)], 40)
    for method, config in CIFAR_CONFIGS.items():
        run_dir = work / "runs" / f"cifar10-{method}"
        argv = train_options(config, cifar_root, run_dir, (budget_option(config),))
        check.summary["configs"][f"cifar10-{method}"] = build_config(argv[2:])
        check.part(f"cifar10-{method}", [py, *argv], 110,
                   check=lambda _, d=run_dir: read_record(d, status="finished"))
    check.save_summary()
    failed = [name for name, part in check.summary["parts"].items() if part["status"] not in ("ok", "dry-run")]
    print(f"[gpu_check] done: {len(check.summary['parts'])} parts"
          f"{', failed: ' + ', '.join(failed) if failed else ''}; JSON in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
