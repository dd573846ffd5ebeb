#!/usr/bin/env bash
# Runs just what table 'voc_det' needs (configs/tables/voc_det.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only voc_det "$@"
