#!/usr/bin/env bash
# Reproduce the paper's tables: data → pretraining (LeOCLR, MoCo-v2) → every downstream protocol → report.
#
#   bash reproduce_all.sh                                     # smoke profile (generated scenes, CPU minutes)
#   bash reproduce_all.sh --profile paper --dry-run --data-root /datasets    # the full plan with estimates
#   bash reproduce_all.sh --profile paper --only voc_det --gpus 8 --data-root /datasets
#   bash reproduce_all.sh --seeds 0,1,2                       # seed repeats of pretraining, kNN, linear
#   bash reproduce_all.sh --profile paper --slurm --gpus 8    # each run through srun (call inside an allocation)
#
# Resumable: rerun the same command after an interruption; finished runs are skipped, nothing finished is
# overwritten without --force. All options: .venv/bin/python -m suite.pipeline --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
exec .venv/bin/python -m suite.pipeline "$@"
