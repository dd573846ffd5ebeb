#!/usr/bin/env bash
# Runs just what table 'transfer' needs (configs/tables/transfer.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only transfer "$@"
