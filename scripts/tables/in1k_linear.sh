#!/usr/bin/env bash
# Runs just what table 'in1k_linear' needs (configs/tables/in1k_linear.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only in1k_linear "$@"
