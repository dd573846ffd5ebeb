#!/usr/bin/env bash
# Runs just what table 'coco_det' needs (configs/tables/coco_det.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only coco_det "$@"
