#!/usr/bin/env bash
# Idempotent environment setup: .venv from uv.lock, plus mmcv built from source once and kept as a wheel
# outside the repo (uv does not cache --no-build-isolation builds). Both README commands call this first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
PYVER=3.11
export PATH="$HOME/.local/bin:$PATH"
export PIP_CONFIG_FILE=/dev/null          # the machine's pip config caps torch and adds local indexes: not ours
export UV_NO_PROGRESS=${UV_NO_PROGRESS:-1}
step() { echo "[setup] $*"; }
fail() { echo "[setup] FAILED at step: $1" >&2; echo "[setup] $2" >&2; exit 1; }
t0=$(date +%s)

# 1. uv
if ! command -v uv >/dev/null 2>&1; then
    step "installing uv from the package index"
    python3 -m pip install --user --quiet uv || fail "install uv" "python3 -m pip install --user uv did not work; install uv (https://docs.astral.sh/uv/) and rerun"
fi

# 2. the locked environment. --inexact keeps the mmcv wheel that the lock does not know about.
step "syncing .venv with uv.lock (first run downloads torch, ~3 GB)"
uv sync --frozen --inexact --python "$PYVER" --quiet || fail "uv sync" "uv could not build .venv from uv.lock (network to the package index? disk space?)"
PY="$REPO/.venv/bin/python"

# 3. mmcv, pinned in pyproject.toml [tool.leoclr]
MMCV_VERSION=$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['tool']['leoclr']['mmcv'])")
have_mmcv() { "$PY" -c "import mmcv, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; }
if ! have_mmcv; then
    TORCH_VERSION=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
    if command -v nvcc >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        FLAVOUR="cu$(nvcc --version | sed -n 's/.*release \([0-9]*\)\.\([0-9]*\).*/\1\2/p')"
        export FORCE_CUDA=1
    else
        FLAVOUR=cpu
        export FORCE_CUDA=0
    fi
    CACHE="${LEOCLR_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/leoclr-suite/wheels}/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-py$PYVER-$FLAVOUR"
    mkdir -p "$CACHE"
    if ! ls "$CACHE"/mmcv-*.whl >/dev/null 2>&1; then
        step "building mmcv $MMCV_VERSION from source ($FLAVOUR ops, torch $TORCH_VERSION); ~6 min on 2 cores, once per machine"
        uv pip install --python "$PY" --quiet pip || fail "mmcv build tools" "could not install pip into .venv"
        export MAX_JOBS=${MAX_JOBS:-$(nproc)} MMCV_WITH_OPS=1
        BUILD_LOG="$CACHE/build.log"
        if ! "$PY" -m pip wheel --no-build-isolation --no-deps --no-cache-dir "mmcv==$MMCV_VERSION" -w "$CACHE" >"$BUILD_LOG" 2>&1; then
            tail -30 "$BUILD_LOG" >&2
            rm -f "$CACHE"/mmcv-*.whl
            fail "mmcv build" "building mmcv $MMCV_VERSION failed; full log: $BUILD_LOG (torch >= 2.14 breaks this build)"
        fi
    else
        step "reusing kept mmcv wheel from $CACHE"
    fi
    uv pip install --python "$PY" --quiet --no-deps "$CACHE"/mmcv-*.whl || fail "mmcv install" "could not install the kept wheel in $CACHE (delete it to rebuild)"
fi

# 4. verify (once per state of the lock and mmcv: the stamp keeps later calls from paying ~10 s of imports)
STAMP="$REPO/.venv/.leoclr-verified"
STATE="$(sha256sum uv.lock pyproject.toml | sha256sum | cut -d' ' -f1) mmcv-$MMCV_VERSION"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STATE" ]; then
    step "stack verified before for this uv.lock (delete $STAMP to recheck); done in $(( $(date +%s) - t0 )) s"
    exit 0
fi
step "verifying the stack"
"$PY" - <<'PY' || fail "verify" "the pinned stack does not import; see the traceback above"
import warnings; warnings.filterwarnings("ignore")
import torch, torchvision, mmengine, mmcv, mmdet, mmseg
from mmcv.ops import nms, RoIAlign  # noqa: F401  (compiled ops present)
import pkg_resources  # noqa: F401  (mmengine resolves mmdet::/mmseg:: bases through it)
print(f"[setup] ok: torch {torch.__version__}, torchvision {torchvision.__version__}, mmengine {mmengine.__version__}, "
      f"mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, cuda={torch.cuda.is_available()}")
PY
echo "$STATE" > "$STAMP"
step "done in $(( $(date +%s) - t0 )) s"
