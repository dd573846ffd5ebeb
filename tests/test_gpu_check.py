"""The prepared GPU check builds everything on a CPU without running anything heavy (`--dry-run`)."""
import csv
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


def test_cifar10_gpu_import_rebuilds_the_table_and_never_replaces_a_record(tmp_path):
    """What a device call brings back (`$OUT/cifar10-gpu.tar.gz`: runs/cifar10-gpu/… without checkpoints) becomes
    the profile's table here; a second import of the same runs is refused by name before anything is unpacked."""
    run_dir = tmp_path / "device" / "runs" / "cifar10-gpu" / "knn" / "knn_r18-cifar_cifar10--random-s0"
    run_dir.mkdir(parents=True)
    record = {"schema": 1, "stage": "knn", "profile": "cifar10-gpu", "run_id": run_dir.name, "seed": 0,
              "method": "random", "metrics": {"knn_top1": 33.84}, "status": "finished", "wall_s": 20.0,
              "rows": [{"table": "cifar10", "row": "random-knn"}], "git_commit": "abc", "curves": None,
              "finished": "2026-01-01T00:00:00+00:00"}
    (run_dir / "record.json").write_text(json.dumps(record))
    files_at = tmp_path / "files_at"
    files_at.mkdir()
    subprocess.run(["tar", "czf", str(files_at / "cifar10-gpu.tar.gz"), "-C", str(tmp_path / "device"),
                    "runs/cifar10-gpu"], check=True)
    env = {"PATH": "/usr/bin:/bin", "RUNS_DIR": str(tmp_path / "runs"), "RESULTS_DIR": str(tmp_path / "results")}
    imported = subprocess.run(["bash", "scripts/cifar10_gpu.sh", "--import", str(files_at)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stdout[-2000:] + imported.stderr[-2000:]
    assert (tmp_path / "runs" / "cifar10-gpu" / "knn" / run_dir.name / "record.json").is_file()
    with open(tmp_path / "results" / "cifar10-gpu" / "cifar10.csv", newline="") as handle:
        lines = {(line["row"], line["metric"]): line for line in csv.DictReader(handle)}
    assert lines[("random-knn", "knn_top1")]["ours"] == "33.84"
    assert lines[("leoclr-knn", "knn_top1")]["state"] == "missing"  # what did not come back stays missing
    archived = tmp_path / "results" / "cifar10-gpu" / "records" / "knn" / run_dir.name / "record.json"
    assert json.loads(archived.read_text())["metrics"] == {"knn_top1": 33.84}

    again = subprocess.run(["bash", "scripts/cifar10_gpu.sh", "--import", str(files_at)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 1
    assert f"{tmp_path / 'runs'}/cifar10-gpu/knn/{run_dir.name}/record.json is already here; not replaced" in \
        again.stderr
