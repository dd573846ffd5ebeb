"""Fresh-clone trust (issue 10): tracked configs, data-config errors, no code executed from a checkpoint, resume
only the same run, the config hash. (torchrun on CPUs with --force moved aside by rank 0 only: test_distributed.py)"""
import subprocess
from pathlib import Path

import pytest
import torch

from suite import pipeline
from suite.tables import load_tables, referenced_files
from pretrain.resnet_trunk import build_resnet
from pretrain.export import EXPORT_META_KEYS, export_checkpoint
from common.records import config_sha256, prepare_run_dir, write_record

REPO = Path(__file__).resolve().parents[1]


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


def _base_chain(path: Path) -> list[Path]:
    """The config files a config inherits from (relative `_base_` entries; `mmdet::` bases are the package's)."""
    from mmengine.config import Config

    text = path.read_text()
    if "_base_" not in text:
        return []
    bases = Config._get_base_files(str(path))  # parses the AST; executes nothing
    out = []
    for base in bases:
        if "::" in base:
            continue
        resolved = (path.parent / base).resolve()
        out += [resolved, *_base_chain(resolved)]
    return out


def test_every_config_the_tables_and_data_configs_name_is_tracked_by_git():
    tracked = _tracked()
    named = {REPO / path for table in load_tables() for _, _, path in referenced_files(table)}
    named |= set((REPO / "configs" / "data").glob("*.py")) | set((REPO / "configs" / "tables").glob("*.py"))
    assert (REPO / "configs/data/smoke.py") in named and (REPO / "configs/data/tiny.py") in named
    with_bases = named | {base for path in named for base in _base_chain(path)}
    untracked = sorted(str(p.relative_to(REPO)) for p in with_bases if str(p.relative_to(REPO)) not in tracked)
    assert not untracked, f"named by a table or data config but not tracked by git: {untracked}"
    # and nothing under configs/ can be swallowed by an ignore pattern again
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "configs/data/x.py", "configs/runs/x.py",
                              "configs/work_dirs/x.py"], cwd=REPO, capture_output=True, text=True).stdout
    assert ignored == ""


def test_a_generated_data_profile_without_its_data_config_is_an_error_naming_the_file(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "REPO_ROOT", tmp_path)
    with pytest.raises(SystemExit, match=r"configs/data/tiny\.py"):
        pipeline.generate_data("tiny", str(tmp_path / "data"), dry_run=True)
    assert pipeline.generate_data("paper", str(tmp_path / "data"), dry_run=True) == []  # prepared, not generated


def _booby_trapped_checkpoint(path: Path, trap: Path, with_export_meta: bool) -> None:
    trunk = {f"backbone.{k}": v for k, v in build_resnet("resnet18", "standard").state_dict().items()
             if not k.startswith("fc.")}
    meta = {"iter": 4, "seed": 0,
            # mmengine's Config.fromstring would run this text (it executes the config it parses)
            "cfg": f"import pathlib\npathlib.Path({str(trap)!r}).write_text('pwned')\nmodel = dict(type='MoCoV2')\n"}
    if with_export_meta:
        meta["export"] = {"method": "mocov2", "arch": "resnet18", "stem": "standard", "dataset": "scenes",
                          "dataset_size": 48, "batch_size": 8, "world_size": 1, "seed": 0,
                          "config": "configs/pretrain/tiny/mocov2_r18_1xb8-4it_scenes32.py", "config_sha256": "ab"}
    torch.save({"meta": meta, "state_dict": trunk}, path)


def test_export_executes_nothing_from_a_checkpoint(tmp_path):
    trap = tmp_path / "PWNED"
    ckpt = tmp_path / "iter_4.pth"
    _booby_trapped_checkpoint(ckpt, trap, with_export_meta=True)
    sidecar = export_checkpoint(ckpt, tmp_path / "backbone.pth")
    assert not trap.exists()
    assert sidecar["method"] == "mocov2" and sidecar["arch"] == "resnet18" and sidecar["epochs"] == pytest.approx(
        4 * 8 / 48, abs=1e-3)
    assert set(EXPORT_META_KEYS) <= {"method", "arch", "stem", "dataset", "dataset_size", "batch_size",
                                     "world_size", "seed", "config", "config_sha256"}

    old = tmp_path / "old.pth"  # no plain export meta: refused, and still nothing runs
    _booby_trapped_checkpoint(old, trap, with_export_meta=False)
    with pytest.raises(KeyError, match="meta.export"):
        export_checkpoint(old, tmp_path / "old_backbone.pth")
    assert not trap.exists()


def _cfg(**extra):
    from mmengine.config import Config
    return Config(dict(model=dict(type="MoCoV2", arch="resnet18"), train_dataloader=dict(batch_size=8), **extra))


def test_the_config_hash_leaves_out_what_cannot_change_results():
    base = config_sha256(_cfg(work_dir="a", config_path="x.py", launcher="none"))
    assert base == config_sha256(_cfg(work_dir="b", config_path="../x.py", launcher="pytorch"))
    assert base != config_sha256(_cfg(work_dir="a", config_path="x.py", launcher="none", seed=1))


def _record(work_dir, status, cfg_hash="h1", dataset="d1"):
    write_record(work_dir, {"status": status, "config_sha256": cfg_hash, "error": "boom" if status == "failed" else None,
                            "inputs": {"dataset": {"path": "data", "sha256": dataset}}})


def test_an_interrupted_run_resumes_only_with_the_same_hashes(tmp_path):
    inputs = {"dataset": {"path": "data", "sha256": "d1"}}
    run = tmp_path / "run"
    _record(run, "running")
    assert prepare_run_dir(run, "h1", inputs) == "fresh"            # killed before its first checkpoint
    (run / "last_checkpoint").write_text("iter_2.pth")
    assert prepare_run_dir(run, "h1", inputs) == "resume"
    with pytest.raises(SystemExit, match="h1.*\n.*h2|recorded h1, now h2"):
        prepare_run_dir(run, "h2", inputs)                          # the config changed
    with pytest.raises(SystemExit, match="d1.*d2"):
        prepare_run_dir(run, "h1", {"dataset": {"path": "data", "sha256": "d2"}})  # the data changed
    assert prepare_run_dir(run, "h2", inputs, force=True) == "fresh"  # --force moves it aside
    assert not run.exists() and len(list(tmp_path.glob("run.old-*"))) == 1


def test_a_failed_run_reruns_from_scratch_and_is_kept_aside(tmp_path):
    run = tmp_path / "run"
    _record(run, "failed")
    (run / "last_checkpoint").write_text("iter_2.pth")
    assert prepare_run_dir(run, "h1", {"dataset": {"path": "data", "sha256": "d1"}}) == "fresh"
    assert not run.exists() and len(list(tmp_path.glob("run.failed-*"))) == 1


def test_a_finished_run_is_skipped_or_refused(tmp_path):
    run = tmp_path / "run"
    _record(run, "finished")
    assert prepare_run_dir(run, "h1", {"dataset": {"path": "data", "sha256": "d1"}}) == "skip"
    with pytest.raises(SystemExit, match="finished run made from other inputs"):
        prepare_run_dir(run, "h2", {"dataset": {"path": "data", "sha256": "d1"}})


def test_an_interrupted_process_leaves_its_record_running_for_resume(tmp_path):
    from common.records import RunRecorder, read_record

    for exc in (KeyboardInterrupt(), RuntimeError("[../gloo/transport/tcp/pair.cc:534] Connection closed by peer")):
        run = tmp_path / type(exc).__name__
        with pytest.raises(type(exc)):
            with RunRecorder(run, {"status": "running", "run_id": "x"}):
                raise exc
        assert read_record(run)["status"] == "running"  # a lost peer is an interruption: the rerun resumes
    with pytest.raises(ValueError):
        with RunRecorder(tmp_path / "bad", {"status": "running", "run_id": "x"}):
            raise ValueError("a real error")
    assert read_record(tmp_path / "bad")["status"] == "failed"
