#!/usr/bin/env bash
# Runs just what table 'scenes' needs (configs/tables/scenes.py); options as reproduce_all.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../reproduce_all.sh" --only scenes "$@"
