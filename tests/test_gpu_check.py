"""The prepared GPU check builds everything on a CPU without running anything heavy (`--dry-run`)."""
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARTS = ("imports", "bench", "train100", "cifar10-cache", "cifar10-mocov2", "cifar10-leoclr")


def test_dry_run_checks_imports_builds_configs_and_writes_every_parts_json(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(["bash", "scripts/gpu_check.sh", "--dry-run", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "GPU_CHECK_WORK": str(tmp_path / "w")})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([*(f"{part}.json" for part in PARTS), "summary.json", "log.txt"])
    assert len(files) <= 8  # what the device tool brings back from $OUT
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stack"]["torch"] and summary["parts"]["imports"]["status"] == "ok"
    assert all(summary["parts"][part]["status"] == "dry-run" for part in PARTS[1:])
    configs = summary["configs"]
    assert configs["train100"]["train_cfg"]["max_iters"] == 100
    assert configs["train100"]["preprocessor"] == "DeviceViewsPreprocessor"  # the device-views loader
    for method in ("mocov2", "leoclr"):
        assert configs[f"cifar10-{method}"]["budget"] == {"max_train_s": 60}
        assert configs[f"cifar10-{method}"]["dataset"] == "InMemoryMultiView"
    bench = json.loads((out / "bench.json").read_text())["command"]
    assert "--arch resnet50 --size 224" in bench and "--amp bf16 --channels-last --workers 8,16" in bench
    train = json.loads((out / "train100.json").read_text())["command"]
    assert "torch.distributed.run --standalone --nproc_per_node 1" in train and "--launcher pytorch" in train


def test_the_header_gives_the_device_call():
    header = (REPO / "scripts" / "gpu_check.sh").read_text().split("set -euo pipefail")[0]
    assert 'run(command="bash scripts/gpu_check.sh $OUT", carry=[".device"], timeout_s=' in header
