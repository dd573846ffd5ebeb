#!/usr/bin/env bash
# The cifar10-gpu profile inside device leases: CIFAR-10 decoded from the carried JPEG copy, then the pretrainings
# and every downstream row of the cifar10 table. The equal-epoch study (issue 21: both methods 20 epochs, seeds
# 0-2, configs/pretrain/cifar10/*_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py) runs with --time-budget, one call
# after another, each doing the parts that fit:
#   bash scripts/cifar10_gpu.sh --dry-run --time-budget 420             # here: what the next call will run
#   run(command="LEOCLR_GIT_COMMIT=<sha> bash scripts/cifar10_gpu.sh --time-budget 420 $OUT", carry=[".device"],
#       timeout_s=450)                                                # there: the parts that fit, archived as they end
# The parts below (`pretrain`, `downstream`, `all`) are the first, time-capped setting's (issue #12), kept for its
# archived records. Each step runs through suite.pipeline, the same commands as
# `reproduce_all.sh --profile cifar10-gpu`; the device machine has its own Python, so scripts/setup_env.sh is
# bypassed and the carried wheels are used instead (scripts/device_env.sh).
#
#   bash scripts/gpu_check.sh --fetch                  # here, once: wheels -> .device/wheels, CIFAR-10 -> .device/data
#   run(command="LEOCLR_GIT_COMMIT=<sha> DEADLINE_S=460 bash scripts/cifar10_gpu.sh $OUT pretrain", carry=[".device"], timeout_s=480)
#   run(command="LEOCLR_GIT_COMMIT=<sha> DEADLINE_S=280 bash scripts/cifar10_gpu.sh $OUT downstream", carry=[".device"], timeout_s=300)
#   bash scripts/cifar10_gpu.sh --import <files_at>    # here: unpack the records, rebuild results/cifar10-gpu/
#
# Parts: `pretrain` (the cache, both pretrainings with their kNN rows, the random-init kNN rows: ~430 s on an H200),
# `downstream` (the three linear probes at once, then the report), `all` (the default: both in one call, ~555 s
# measured, but the probes then had only 157 s and did not finish). Two calls fit one lease when the second is made
# within the 30 s the machine stays warm (a helper that makes both calls back to back): the run folders and the
# CIFAR-10 cache are git-ignored, so they stay on the machine between the calls.
#
# Order: the two pretrainings run alone, one after the other (their epochs within the cap are a measurement);
# the probes then run as three pipelines at once (CPU work in scikit-learn). After every step the records, curves
# and logs (no checkpoints) are packed into $OUT/cifar10-gpu.tar.gz, so a run cut short still brings back what
# finished.
# SEEDS (default 0) picks the pretraining seeds; DEADLINE_S (default 570) bounds the whole script.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PROFILE=cifar10-gpu

if [[ "${1:-}" == "--import" ]]; then
  # here: the tarball brought back -> <runs>/cifar10-gpu/ (records, curves, logs) -> the report's archive and table.
  # A record brought back never replaces one here (finished work is not overwritten): any clash stops the import
  # before anything is unpacked. RUNS_DIR / RESULTS_DIR (default runs, results) as the pipeline's flags.
  src="${2:?usage: bash scripts/cifar10_gpu.sh --import DIR_WITH_cifar10-gpu.tar.gz}"
  tarball="$src/cifar10-gpu.tar.gz" runs="${RUNS_DIR:-runs}" results="${RESULTS_DIR:-results}"
  [[ -f "$tarball" ]] || { echo "--import: no $tarball (the device call's files_at)" >&2; exit 1; }
  clashes=()
  while read -r member; do
    [[ "$member" == */record.json && -e "$runs/${member#runs/}" ]] && clashes+=("$runs/${member#runs/}")
  done < <(tar tzf "$tarball" "runs/$PROFILE")
  if (( ${#clashes[@]} )); then
    printf -- "--import: %s is already here; not replaced (move it aside to import $tarball)\n" "${clashes[@]}" >&2
    exit 1
  fi
  mkdir -p "$runs"
  tar xzf "$tarball" --strip-components=1 -C "$runs" "runs/$PROFILE"
  exec .venv/bin/python -m suite.report --profile "$PROFILE" --runs-dir "$runs" --out "$results"
fi

# --time-budget S: the equal-epoch study's parts that fit this call (suite/gpu_calls.py: one method × one seed
# each, then the random-init and probe rows; the seeds fixed in configs/tables/cifar10.py), each archived as it
# finishes; --dry-run prints that plan and stops (no GPU needed).
TIME_BUDGET="" DRY_RUN=0 ARGS=()
while (( $# )); do
  case "$1" in
    --time-budget) TIME_BUDGET="${2:?--time-budget SECONDS}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
set -- "${ARGS[@]}"
if (( DRY_RUN )); then
  [[ -n "$TIME_BUDGET" ]] || { echo "--dry-run plans a call: give --time-budget SECONDS" >&2; exit 2; }
  PY_HERE=.venv/bin/python; [[ -x $PY_HERE ]] || PY_HERE=python3
  exec "$PY_HERE" -m suite.gpu_calls --profile "$PROFILE" --time-budget "$TIME_BUDGET"
fi

OUT="${1:?usage: bash scripts/cifar10_gpu.sh [--time-budget S [--dry-run]] OUT_DIR [all|pretrain|downstream] | --import DIR}"
PART="${2:-all}"
case "$PART" in all|pretrain|downstream) ;; *) echo "part $PART: expected all, pretrain or downstream" >&2; exit 2 ;; esac
[[ -n "$TIME_BUDGET" ]] && DEADLINE_S="${DEADLINE_S:-$TIME_BUDGET}"
mkdir -p "$OUT"
LOG="$OUT/log.txt"
source scripts/device_env.sh
START=$SECONDS
DEADLINE_S="${DEADLINE_S:-570}"
SEEDS="${SEEDS:-0}"

pack() {  # what finished so far, without checkpoints (the tool brings back 16 MiB a file)
  tar czf "$OUT/cifar10-gpu.tar.gz.tmp" --exclude='*.pth' --exclude='last_checkpoint' \
    runs/"$PROFILE" results/"$PROFILE" 2>/dev/null
  mv -f "$OUT/cifar10-gpu.tar.gz.tmp" "$OUT/cifar10-gpu.tar.gz"
}

step() {  # step NAME DEADLINE_S COMMAND...: the command under min(its deadline, what the script has left)
  local name=$1 deadline=$2; shift 2
  local left=$(( DEADLINE_S - (SECONDS - START) - 15 ))
  (( deadline > left )) && deadline=$left
  if (( deadline < 20 )); then echo "[cifar10_gpu] $name: skipped, no time left" | tee -a "$LOG"; return 1; fi
  echo "[cifar10_gpu] $name (deadline ${deadline} s, t=$((SECONDS - START)) s)" | tee -a "$LOG"
  local t0=$SECONDS
  timeout --kill-after=10 "$deadline" "$@" >>"$LOG" 2>&1
  local rc=$?
  echo "[cifar10_gpu] $name: rc $rc in $((SECONDS - t0)) s" | tee -a "$LOG"
  pack
  return $rc
}

PIPELINE=("$PY" -m suite.pipeline --profile "$PROFILE" --seeds "$SEEDS" --keep-going)

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$LOG"
if [[ -n "$TIME_BUDGET" ]]; then
  # the study: the planned parts one after the other, each alone on the machine, archived as it finishes
  step cifar10-cache 90 "$PY" -m pretrain.datasets.cifar data/cifar10 --source .device/data/cifar10-jpeg.tar.gz
  "$PY" -m suite.gpu_calls --profile "$PROFILE" --time-budget "$TIME_BUDGET" | tee -a "$LOG"
  while read -r name seconds only seed; do
    step "$name" $(( seconds + 30 )) "$PY" -m suite.pipeline --profile "$PROFILE" --seeds "$seed" --only "$only" \
      --keep-going
  done < <("$PY" -m suite.gpu_calls --profile "$PROFILE" --time-budget "$TIME_BUDGET" --lines)
  step report 40 "$PY" -m suite.report --profile "$PROFILE"
  echo "[cifar10_gpu] study call done in $((SECONDS - START)) s" | tee -a "$LOG"
  exit 0
fi
if [[ $PART != downstream ]]; then
  step cifar10-cache 90 "$PY" -m pretrain.datasets.cifar data/cifar10 --source .device/data/cifar10-jpeg.tar.gz
  # each method's pretraining (alone on the machine) and its kNN row, which needs only seconds of GPU
  step leoclr 280 "${PIPELINE[@]}" --only cifar10:leoclr-knn
  step mocov2 280 "${PIPELINE[@]}" --only cifar10:mocov2-knn
  step random-knn 90 "${PIPELINE[@]}" --only cifar10:random-knn,cifar10:random-bnraw-knn
fi
if [[ $PART != pretrain ]]; then
  # the probes at once: three pipelines, the CPU shared out for scikit-learn's L-BFGS
  left=$(( DEADLINE_S - (SECONDS - START) - 45 ))
  echo "[cifar10_gpu] probes, 3 pipelines at once (deadline ${left} s, t=$((SECONDS - START)) s)" | tee -a "$LOG"
  for rows in cifar10:leoclr-linear cifar10:mocov2-linear cifar10:random-linear; do
    OMP_NUM_THREADS=5 timeout --kill-after=10 "$left" "${PIPELINE[@]}" --only "$rows" \
      >>"$OUT/downstream-${rows#cifar10:}.log" 2>&1 &
  done
  wait
  sed -i 's/^/[downstream] /' "$OUT"/downstream-*.log && cat "$OUT"/downstream-*.log >>"$LOG" && rm -f "$OUT"/downstream-*.log
  pack
fi
# the report alone (the pipeline would resume an unfinished probe here instead of reporting)
step report 40 "$PY" -m suite.report --profile "$PROFILE"
echo "[cifar10_gpu] $PART done in $((SECONDS - START)) s" | tee -a "$LOG"
