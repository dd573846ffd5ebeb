#!/usr/bin/env bash
# The prepared GPU check (issue #14): throughput, the real trainer under torchrun, and the cifar10-gpu configs,
# each part under a deadline, JSON written as it goes. Runs on the device machine's own Python (3.12, torch 2.11
# with CUDA) plus carried wheels for what that image lacks, bypassing scripts/setup_env.sh.
#
#   bash scripts/gpu_check.sh --fetch             # here, once: wheels -> .device/wheels, CIFAR-10 -> .device/data
#   bash scripts/gpu_check.sh --dry-run OUT_DIR   # here (CI too): imports, configs, commands; nothing heavy
#   bash scripts/gpu_check.sh OUT_DIR             # on the GPU machine: about 7 minutes
#
# The device tool call a later session makes (working tree + the git-ignored .device/, about 27 MiB carried;
# the parts' deadlines add up to 480 s, the wrapper's to 500 s):
#   run(command="bash scripts/gpu_check.sh $OUT", carry=[".device"], timeout_s=580)
# What comes back: $OUT/summary.json (stack: GPU, driver, torch, CUDA; every part's status), one JSON per part
# (imports, bench, train100, cifar10-cache, cifar10-mocov2, cifar10-leoclr) and log.txt. See
# scripts/gpu_check.py for the parts and their deadlines.
#
# Environment: GPU_CHECK_PYTHON (default: python3 there; .venv/bin/python for --dry-run when it exists),
# GPU_CHECK_SITE (where the wheels are unpacked, default /tmp/leoclr-gpu-check/site), GPU_CHECK_WORK (run dirs
# and generated data, default /tmp/leoclr-gpu-check).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
# what the device image lacks (KINDS.md package list), no dependencies: the image has the rest
WHEELS=(mmengine==0.10.7 addict==2.4.0 yapf==0.43.0 termcolor==3.3.0 platformdirs==4.14.7 kornia==0.9.0 kornia_rs==0.2.0
        pycocotools==2.0.11)
CIFAR_TARBALL_SOURCE="${CIFAR_TARBALL_SOURCE:-$REPO/../shared/data/cifar10-jpeg.tar.gz}"

usage() { echo "usage: bash scripts/gpu_check.sh [--dry-run] OUT_DIR | --fetch" >&2; exit 2; }
DRY_RUN=0 OUT_DIR=""
case "${1:-}" in
  --fetch)
    mkdir -p .device/wheels .device/data
    # cp312 manylinux wheels, no dependencies (the device image has the rest: KINDS.md's package list)
    PIP_CONFIG_FILE=/dev/null "${GPU_CHECK_PIP_PYTHON:-$REPO/.venv/bin/python}" -m pip download --no-deps \
      --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .device/wheels "${WHEELS[@]}"
    cp "$CIFAR_TARBALL_SOURCE" .device/data/cifar10-jpeg.tar.gz
    du -sh .device
    exit 0 ;;
  --dry-run) DRY_RUN=1; OUT_DIR="${2:-}" ;;
  -*) usage ;;
  *) OUT_DIR="${1:-}"; [[ "${2:-}" == "--dry-run" ]] && DRY_RUN=1 ;;
esac
[[ -n "$OUT_DIR" ]] || usage
mkdir -p "$OUT_DIR"

export PYTHONPATH="$REPO"
if [[ $DRY_RUN == 1 ]]; then  # here: the project's environment where there is one
  default_py=python3
  [[ -x "$REPO/.venv/bin/python" ]] && default_py="$REPO/.venv/bin/python"
  PY="${GPU_CHECK_PYTHON:-$default_py}"
else                          # on the device: its python3 and the carried wheels (sets PY and PYTHONPATH)
  source scripts/device_env.sh
fi
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-4}"
args=("$OUT_DIR" --work "${GPU_CHECK_WORK:-/tmp/leoclr-gpu-check}")
[[ $DRY_RUN == 1 ]] && args+=(--dry-run)
exec timeout --kill-after=10 500 "$PY" scripts/gpu_check.py "${args[@]}"
