#!/usr/bin/env bash
# Runs just what table 'small_datasets' needs (configs/tables/small_datasets.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only small_datasets "$@"
