#!/usr/bin/env bash
# Runs just what table 'voc_seg' needs (configs/tables/voc_seg.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only voc_seg "$@"
