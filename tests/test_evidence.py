"""Evidence a reviewer can't poke holes in (issue 20): records pin their data, code and environment (schema 2); an
archived run is reused only while nothing it depends on changed (stale otherwise, legacy for schema 1); the report
checks each downstream record against its pretraining; writes that can't tear; bad inputs named."""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from common import records
from pretrain.datasets import cifar
from suite import aggregate, freshness, pipeline, report
from suite.plan import plan
from suite.tables import load_tables
from test_cifar_data import write_pickles

REPO = Path(__file__).resolve().parents[1]


# ---- content hash and paths ------------------------------------------------------------------------------------
def test_content_hash_follows_the_bytes_not_the_dates_and_records_hold_no_host_path(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "HASH_CACHE", tmp_path / "cache")
    data = tmp_path / "data" / "scenes-64"
    (data / "train" / "a").mkdir(parents=True)
    (data / "train" / "a" / "0.png").write_bytes(b"\x89PNG one")
    (data / "meta.json").write_text('{"seed": 0}')
    first = records.content_sha256(data)
    assert first["files"] == 2 and first["bytes"] == len(b"\x89PNG one") + len('{"seed": 0}')
    (data / "manifest.json").write_text('{"command": "prepare", "date": "today"}')   # bookkeeping, not data
    (data / "train" / "a" / "0.png").touch()                                          # a new date, same bytes
    assert records.content_sha256(data)["sha256"] == first["sha256"]
    (data / "train" / "a" / "0.png").write_bytes(b"\x89PNG two")                      # same size, other bytes
    assert records.content_sha256(data)["sha256"] != first["sha256"]
    entry = records.dataset_input(data, tmp_path / "data")
    assert entry["path"] == "scenes-64" and entry["hashed"] == "content" and str(tmp_path) not in json.dumps(entry)
    assert records.portable_path("/somewhere/else/runs/x/backbone.pth") == "…/x/backbone.pth"


def test_cifar10_is_pinned_by_its_decoded_arrays_and_its_source(tmp_path):
    cifar.load_cifar10.cache_clear()
    write_pickles(tmp_path / "cifar10" / cifar.PICKLE_FOLDER)
    fingerprint = cifar.fingerprint(tmp_path / "cifar10")   # decodes the pickles and writes the cache
    cifar.load_cifar10.cache_clear()
    cached = cifar.fingerprint(tmp_path / "cifar10")        # now read from the cache: same content, same hash
    assert cached["sha256"] == fingerprint["sha256"] and cached["hashed"] == "cifar10-arrays"
    assert cached["source"] == cifar.PICKLE_FOLDER and cached["source_sha256"] == fingerprint["source_sha256"]
    assert set(cached["arrays"]) == {"train", "test"}
    cifar.load_cifar10.cache_clear()


# ---- bad inputs named -------------------------------------------------------------------------------------------
def test_a_truncated_cifar_cache_is_named_and_rebuilt_from_a_source_when_one_is_there(tmp_path):
    cifar.load_cifar10.cache_clear()
    root = tmp_path / "cifar10"
    root.mkdir()
    (root / cifar.CACHE_NAME).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(cifar.BadCacheError, match=rf"{cifar.CACHE_NAME}: unreadable CIFAR-10 cache.*delete it and "
                                                  r"run `python -m pretrain.datasets.cifar"):
        cifar.load_cifar10(root)
    write_pickles(root / cifar.PICKLE_FOLDER)
    cifar.load_cifar10.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arrays = cifar.load_cifar10(root)
    assert any("rebuilding it from" in str(w.message) for w in caught)
    assert len(arrays["train"].labels) == 5 * 6 and cifar.read_cache(root / cifar.CACHE_NAME)   # rewritten, readable
    cifar.load_cifar10.cache_clear()


def test_bad_seeds_are_refused_with_the_usage_line():
    out = subprocess.run([sys.executable, "-m", "suite.pipeline", "--seeds", "abc", "--dry-run"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 2 and "usage:" in out.stderr and "--seeds" in out.stderr and "Traceback" not in out.stderr


# ---- git state --------------------------------------------------------------------------------------------------
def test_dirty_only_for_changes_outside_results_and_a_declared_commit_sits_beside_ours(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True,
                       capture_output=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "table.csv").write_text("a\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "c")
    monkeypatch.setattr(records, "REPO_ROOT", tmp_path)
    monkeypatch.delenv("LEOCLR_GIT_COMMIT", raising=False)
    clean = records.git_state()
    (tmp_path / "results" / "table.csv").write_text("b\n")          # a report written while runs go on
    assert records.git_state() == clean and not clean["git_commit"].endswith("+dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    dirty = records.git_state()
    assert dirty["git_commit"] == clean["git_commit"] + "+dirty" and len(dirty["git_diff_sha256"]) == 64
    monkeypatch.setenv("LEOCLR_GIT_COMMIT", "sent-by-the-caller")
    declared = records.git_state()
    assert declared["git_commit"] == dirty["git_commit"] and declared["git_commit_declared"] == "sent-by-the-caller"


# ---- stale, legacy, superseded ---------------------------------------------------------------------------------
@pytest.fixture
def archived_pretraining(tmp_path, monkeypatch):
    """A cifar10 pretraining run archived as schema 2, its code a one-file repo (so a test can edit a line)."""
    monkeypatch.chdir(REPO)
    repo = tmp_path / "repo"
    (repo / "pretrain").mkdir(parents=True)
    module = repo / "pretrain" / "views.py"
    module.write_text("CROP_SCALE = (0.08, 1.0)\n")
    monkeypatch.setattr(records, "REPO_ROOT", repo)
    the_plan = plan("cifar10", seeds=(0,), only="cifar10:leoclr-knn", runs_dir=str(tmp_path / "runs"))
    run = the_plan.pretrain_runs[0]
    archive = tmp_path / "results" / "cifar10" / "records"
    record = {"schema": 2, "status": "finished", "stage": "pretrain", "run_id": run.run_id, "profile": "cifar10",
              "seed": 0, "method": "leoclr", "metrics": {}, "rows": [],
              "config_file_sha256": records.config_file_sha256(run.config),
              "code": records.code_identity({"pretrain/views.py": records.sha256_file(module)}),
              "environment": freshness.current_environment(), "inputs": {}}
    records.write_record(archive / "pretrain" / run.run_id, record)
    return run, archive, module, record


def test_one_changed_line_of_code_makes_the_archived_run_stale_and_rerun_stale_supersedes_it(archived_pretraining):
    run, archive, module, _ = archived_pretraining
    assert pipeline.run_state(run, None, archive) == ("skip", f"finished, archived in {archive}")
    module.write_text("CROP_SCALE = (0.2, 1.0)\n")
    assert pipeline.run_state(run, None, archive) == ("stale", "code changed: pretrain/views.py")
    moved = pipeline.supersede(run, archive)
    assert [p.name.split(".superseded-")[0] for p in moved] == [run.run_id] and (moved[0] / "record.json").is_file()
    assert pipeline.run_state(run, None, archive) == ("run", "new")


def test_another_environment_or_changed_data_makes_it_stale(archived_pretraining, tmp_path, monkeypatch):
    run, archive, _, record = archived_pretraining
    monkeypatch.setattr(records, "HASH_CACHE", tmp_path / "cache")
    data = tmp_path / "data" / "cifar10"
    data.mkdir(parents=True)
    (data / "a.bin").write_bytes(b"one")
    record = dict(record, inputs={"dataset": records.dataset_input(data, tmp_path / "data")})
    records.write_record(archive / "pretrain" / run.run_id, record)
    assert pipeline.run_state(run, None, archive, str(tmp_path / "data"))[0] == "skip"
    (data / "a.bin").write_bytes(b"two")
    freshness.current_data_hash.cache_clear()
    assert pipeline.run_state(run, None, archive, str(tmp_path / "data")) == ("stale", "data changed (cifar10)")
    records.write_record(archive / "pretrain" / run.run_id,
                         dict(record, environment={"kind": "uv.lock", "sha256": "another lock", "mmcv": "2.1.0"}))
    assert pipeline.run_state(run, None, archive)[1] == "environment changed (uv.lock / installed packages)"


def test_a_schema1_record_is_legacy_not_stale_and_the_report_says_so(archived_pretraining, tmp_path):
    run, archive, module, record = archived_pretraining
    legacy = {k: v for k, v in record.items() if k not in ("code", "environment")}
    records.write_record(archive / "pretrain" / run.run_id, dict(legacy, schema=1))
    module.write_text("CROP_SCALE = (0.2, 1.0)\n")     # code changes are invisible to a legacy record
    state, why = pipeline.run_state(run, None, archive)
    assert state == "skip" and why.endswith(freshness.LEGACY_NOTE)
    report.write_report("cifar10", tmp_path / "noruns", tmp_path / "results", tables=load_tables(check_files=False),
                        figures=False)
    readme = (tmp_path / "results" / "cifar10" / "README.md").read_text()
    assert f"| `{run.run_id}` | pretrain | 1 | {freshness.LEGACY_NOTE} |" in readme


# ---- the report's chain checks and its archive ---------------------------------------------------------------
def _pair(tmp_path, used_sha="b" * 64, data_sha="d" * 64):
    pretraining = {"stage": "pretrain", "run_id": "p-s0", "_path": str(tmp_path / "p.json"),
                   "outputs": {"backbone": {"sha256": "b" * 64}},
                   "inputs": {"dataset": {"path": "cifar10", "sha256": "d" * 64}}}
    downstream = {"stage": "knn", "run_id": "k--p-s0-s0", "_path": str(tmp_path / "k.json"),
                  "backbone": {"sidecar": {"run_id": "p-s0"}},
                  "inputs": {"checkpoint": {"sha256": used_sha}, "dataset": {"path": "cifar10", "sha256": data_sha}}}
    return pretraining, downstream


def test_the_report_refuses_a_downstream_record_that_does_not_follow_from_its_pretraining(tmp_path):
    for kwargs, said in (({}, None), ({"used_sha": "c" * 64}, "is not p-s0's exported backbone"),
                         ({"data_sha": "e" * 64}, "other data under one name")):
        warned = []
        kept = aggregate.check_chain(list(_pair(tmp_path, **kwargs)), warned)
        assert (len(kept), bool(warned)) == ((2, False) if said is None else (1, True))
        assert said is None or (said in warned[0] and "k.json: refused" in warned[0])


def test_the_report_never_overwrites_an_archived_record_that_differs(tmp_path):
    archive = tmp_path / "archive"
    local = tmp_path / "runs" / "cifar10" / "knn" / "k-s0"
    mine = {"schema": 2, "status": "finished", "stage": "knn", "run_id": "k-s0", "profile": "cifar10",
            "metrics": {"knn_top1": 41.0}}
    records.write_record(local, mine)
    records.write_record(archive / "knn" / "k-s0", dict(mine, metrics={"knn_top1": 40.0}))
    warned = []
    kept = aggregate.archive_records(aggregate.load_records(tmp_path / "runs", "cifar10"), archive, "cifar10", warned)
    assert kept[0]["metrics"] == {"knn_top1": 40.0} and "differs from the archived" in warned[0]
    assert "--rerun-stale" in warned[0] and str(local / "record.json") in warned[0]
