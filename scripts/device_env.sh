# Sourced by the device scripts (scripts/gpu_check.sh, scripts/cifar10_gpu.sh) on the GPU machine: its own Python
# (3.12, torch with CUDA) plus the wheels carried in .device/wheels (`bash scripts/gpu_check.sh --fetch` here),
# unpacked beside the image's packages, not over them (--target installs into SITE only). Sets PY and PYTHONPATH.
PY="${GPU_CHECK_PYTHON:-python3}"
SITE="${GPU_CHECK_SITE:-/tmp/leoclr-gpu-check/site}"
shopt -s nullglob
device_wheels=(.device/wheels/*.whl)
shopt -u nullglob
if (( ${#device_wheels[@]} == 0 )); then
  echo "no wheels in .device/wheels (run 'bash scripts/gpu_check.sh --fetch' here and carry .device)" >&2
  exit 1
fi
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "${device_wheels[@]}"
export PYTHONPATH="$PWD:$SITE" PYTHONUNBUFFERED=1
