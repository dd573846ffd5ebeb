#!/usr/bin/env bash
# The test command (README, .ci/run): sets up the pinned environment on first use, then runs pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
exec .venv/bin/python -m pytest tests "$@"
