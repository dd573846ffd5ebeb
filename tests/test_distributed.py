"""The distributed path on CPUs: 2 processes under torchrun (gloo) through the real runners.

One module fixture runs, as `python -m torch.distributed.run --standalone --nproc_per_node 2 …` from the repo root
(`OMP_NUM_THREADS=1`, `PYTHONPATH` = repo root):
  - tiny MoCo-v2 pretraining with shuffle-BN across the processes, killed (SIGKILL to torchrun and both
    workers, as a preempted node) right after its first checkpoint, rerun (resumes there), then rerun with `--force`
    (moves the resumed run aside, once, and trains uninterrupted: the reference the resumed run must match);
  - the tiny linear protocol and the tiny detector with SyncBN (reverted to per-process BN on CPUs,
    `common.launch.CPUDistributedDataParallel`), started beside the pretraining chain: they need no pretrained
    backbone (`--checkpoint random`), and 2 cores time-share the processes better than they wait on each
    other's start-up.
Sampler sharding is checked in-process on the sampler the pretraining configs use.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
TINY_PRETRAIN = "configs/pretrain/tiny/mocov2_r18_1xb8-4it_scenes32.py"
TINY_LINEAR = "configs/linear/tiny/linear_r18_scenes32.py"
TINY_DETECTION = "configs/detection/tiny/faster-rcnn_r18-fpn_scenes64.py"
SHUFFLE_BN = ("--cfg-options", "model.bn=shuffle")  # the tiny config inherits smoke's one-process split-BN
RUN_TIMEOUT_S = 300


def torchrun(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", module, *args, "--launcher", "pytorch"]


class Job:
    """A torchrun command running in the background, its output to a log file."""

    def __init__(self, command: list[str], log: Path):
        self.log = log
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
        with open(log, "w") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def wait(self) -> tuple[int, str]:
        try:
            code = self.process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.wait()
        self.seconds = time.monotonic() - self.started
        return code, self.log.read_text()

    def kill(self) -> None:
        """SIGKILL to the agent and every worker at once, as a preempted node: torchrun starts its workers in
        sessions of their own, so killing its process group alone would leave them training."""
        for pid in [*_descendants(self.process.pid), self.process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def kill_when(self, path: Path) -> None:
        while not path.exists():
            if self.process.poll() is not None:
                return
            if time.monotonic() - self.started > RUN_TIMEOUT_S:
                break
            time.sleep(0.01)
        self.kill()


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [grandchild for child in children for grandchild in (child, *_descendants(child))]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    from pretrain.datasets.scenes import generate
    root = tmp_path_factory.mktemp("data")
    generate(root / "scenes-tiny32", seed=0, size=60, image_size=32, workers=1)
    generate(root / "scenes-tiny64", seed=0, size=60, image_size=64, workers=1)
    return root


@pytest.fixture(scope="module")
def runs(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    common = ("--data-root", str(data_root))
    start = time.monotonic()
    linear = Job(torchrun("downstream.linear", TINY_LINEAR, "--checkpoint", "random", *common,
                          "--work-dir", str(out / "linear")), out / "linear.log")
    detection = Job(torchrun("downstream.detection", TINY_DETECTION, "--checkpoint", "random", *common,
                             "--work-dir", str(out / "detection"),
                             "--cfg-options", "model.backbone.norm_cfg.type=SyncBN"), out / "detection.log")

    work_dir = out / "mocov2"
    pretrain = torchrun("pretrain.train", TINY_PRETRAIN, *common, "--work-dir", str(work_dir), *SHUFFLE_BN)
    killed = Job(pretrain, out / "killed.log")
    killed.kill_when(work_dir / "last_checkpoint")  # written after the checkpoint file is complete
    result = {"killed": killed.wait(), "killed_last_checkpoint": _last_checkpoint(work_dir),
              "killed_record": _record(work_dir)}
    resumed = Job(pretrain, out / "resumed.log")  # the same command again
    result["resumed"] = resumed.wait()
    forced = Job(pretrain + ["--force"], out / "forced.log")
    result["forced"] = forced.wait()
    result["linear"], result["detection"] = linear.wait(), detection.wait()
    result.update(work_dir=work_dir, out=out, seconds=time.monotonic() - start)
    jobs = dict(killed=killed, resumed=resumed, forced=forced, linear=linear, detection=detection)
    print(f"\n2-process runs: {result['seconds']:.0f} s in all, load average {os.getloadavg()[0]:.1f} "
          f"({', '.join(f'{name} {job.seconds:.0f} s' for name, job in jobs.items())})")
    return result


def _record(work_dir: Path) -> dict:
    return json.loads((work_dir / "record.json").read_text())


def _last_checkpoint(work_dir: Path) -> str | None:
    path = work_dir / "last_checkpoint"
    return Path(path.read_text().strip()).name if path.exists() else None


def _ok(outcome: tuple[int, str]) -> str:
    code, log = outcome
    assert code == 0, log[-4000:]
    return log


def _weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def test_killed_run_stays_resumable_and_resumes_at_its_checkpoint(runs):
    code, log = runs["killed"]
    assert code != 0, "the run finished before it was killed (the test's kill came too late)"
    assert runs["killed_last_checkpoint"] == "iter_2.pth", runs["killed_last_checkpoint"]
    assert runs["killed_record"]["status"] == "running"  # a killed run is resumed, not rerun from scratch
    log = _ok(runs["resumed"])
    assert "resumed epoch: 0, iter: 2" in log
    assert "needs several processes" not in log  # shuffle-BN across the 2 processes, not the 1-process fallback


def test_two_processes_record_world_size_and_global_batch_and_rank_zero_alone_writes(runs):
    log = _ok(runs["forced"])
    work_dir = runs["work_dir"]
    record = _record(work_dir)
    assert record["status"] == "finished" and record["hardware"]["world_size"] == 2
    assert record["global_batch"] == 16 and record["iterations"] == 4  # 2 processes × 8 images, 4 steps
    assert (work_dir / "backbone.pth").exists() and (work_dir / "backbone.json").exists()
    assert sorted(p.name for p in work_dir.glob("iter_*.pth")) == ["iter_2.pth", "iter_4.pth"]
    # --force under torchrun: one move, by rank 0, not one per rank; one export and one "finished" line
    assert len(list(work_dir.parent.glob("mocov2.old-*"))) == 1
    assert log.count("--force: moved the finished run aside") == 1 and log.count("finished: ") == 1


def test_resumed_run_ends_with_the_uninterrupted_runs_weights(runs):
    _ok(runs["resumed"]), _ok(runs["forced"])
    work_dir = runs["work_dir"]
    (resumed_dir,) = work_dir.parent.glob("mocov2.old-*")  # the resumed run, moved aside by --force
    assert _record(resumed_dir)["iterations"] == 4
    resumed, uninterrupted = _weights(resumed_dir / "iter_4.pth"), _weights(work_dir / "iter_4.pth")
    assert resumed.keys() == uninterrupted.keys()
    for key in uninterrupted:
        torch.testing.assert_close(resumed[key], uninterrupted[key], rtol=1e-5, atol=1e-6, msg=key)


def test_linear_runner_under_two_processes(runs):
    _ok(runs["linear"])
    record = _record(runs["out"] / "linear")
    assert record["status"] == "finished" and record["hardware"]["world_size"] == 2
    assert record["global_batch"] == 32 and "top1" in record["metrics"]


def test_detection_under_two_cpu_processes_reverts_syncbn_to_bn(runs):
    log = _ok(runs["detection"])
    assert "SyncBatchNorm layers reverted to per-process BatchNorm" in log
    record = _record(runs["out"] / "detection")
    assert record["status"] == "finished" and record["hardware"]["world_size"] == 2
    assert record["global_batch"] == 4 and "AP" in record["metrics"]


def test_sampler_shards_the_one_process_batch_across_ranks(monkeypatch):
    """At every step the two ranks' batches together are the one-process batch of the same global size and seed,
    across an epoch boundary and after a resume's skip."""
    import mmengine.dataset.sampler as sampler_module

    from pretrain.data import SeededInfiniteSampler

    dataset, per_rank, steps = list(range(48)), 8, 7  # 48 images, 16 a step: 3 steps an epoch

    def batches(rank, world, batch, skip_steps=0):
        monkeypatch.setattr(sampler_module, "get_dist_info", lambda: (rank, world))
        sampler = SeededInfiniteSampler(dataset, shuffle=True, seed=0)
        sampler.skip(skip_steps * batch)
        stream = iter(sampler)
        return [[next(stream) for _ in range(batch)] for _ in range(steps)]

    one = batches(0, 1, 2 * per_rank)
    for skip in (0, 2):
        ranks = [batches(rank, 2, per_rank, skip) for rank in (0, 1)]
        for step in range(steps - skip):
            assert sorted(ranks[0][step] + ranks[1][step]) == sorted(one[step + skip]), (skip, step)
            assert not set(ranks[0][step]) & set(ranks[1][step])


def test_one_cpu_process_under_torchrun_is_wrapped_without_device_ids(monkeypatch):
    """`torchrun --nproc_per_node 1` on a CPU: mmengine wraps the model in DDP whenever a process group exists,
    so the CPU wrapper is needed for one process too."""
    from mmengine.config import Config

    from common import launch

    monkeypatch.setattr(launch.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(launch.torch.cuda, "is_available", lambda: False)
    cfg = Config(dict(model=dict(type="MoCoV2")))
    launch.wrap_for_device(cfg)
    assert cfg.model_wrapper_cfg["type"] == "CPUDistributedDataParallel"


def test_cpu_wrapper_reverts_syncbn_to_batchnorm(tmp_path):
    """DDP refuses a CPU module holding SyncBatchNorm; the CPU wrapper reverts it (one gloo process here)."""
    import torch.distributed as dist
    from mmengine.registry import MODEL_WRAPPERS
    from torch import nn

    import common.launch  # noqa: F401  (registers the wrapper)

    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.SyncBatchNorm(4))
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'init'}", rank=0, world_size=1)
    try:
        wrapped = MODEL_WRAPPERS.build(dict(type="CPUDistributedDataParallel"), default_args=dict(module=module))
        assert not any(isinstance(m, nn.SyncBatchNorm) for m in wrapped.modules())
        assert any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in wrapped.modules())
    finally:
        dist.destroy_process_group()
