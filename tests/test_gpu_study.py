"""Issue 21's equal-epoch study: fixed in the table config, cut into device calls that fit, and its recipe's
switches (the MoCo-v2 width head, the demo's linear head and head-output kNN)."""
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from suite import gpu_calls
from suite.tables import TableError, _load_table

REPO = Path(__file__).resolve().parents[1]


def test_the_study_is_fixed_in_the_table_config():
    study = gpu_calls.study_of("cifar10-gpu")
    assert study == {"epochs": 20, "seeds": [0, 1, 2], "primary": "knn_top1"}
    for method in ("mocov2", "leoclr"):  # the configs train the study's epochs
        text = (REPO / f"configs/pretrain/cifar10/{method}_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py").read_text()
        assert method == "leoclr" or f"epochs = {study['epochs']}" in text


def test_a_malformed_study_is_refused(tmp_path):
    source = (REPO / "configs/tables/cifar10.py").read_text()
    bad = tmp_path / "cifar10.py"
    bad.write_text(source.replace("primary='knn_top1'", "primary='mAP'"))
    with pytest.raises(TableError, match="study primary 'mAP'"):
        _load_table(bad)


def test_calls_take_whole_parts_in_order_while_they_fit():
    parts = gpu_calls.parts("cifar10-gpu", runs_dir="/nonexistent", results_dir="/nonexistent")
    names = [p.name for p in parts]
    assert names[:6] == ["leoclr-s0", "mocov2-s0", "leoclr-s1", "mocov2-s1", "leoclr-s2", "mocov2-s2"]
    assert all(not p.done for p in parts) and parts[0].only == ["cifar10:leoclr-knn"]
    overhead = gpu_calls.CALL_OVERHEAD_S
    assert [p.name for p in gpu_calls.fit(parts, overhead + parts[0].seconds)] == ["leoclr-s0"]
    assert gpu_calls.fit(parts, overhead + parts[0].seconds - 1) == []      # never a part cut short
    parts[0].done = True
    assert [p.name for p in gpu_calls.fit(parts, 10_000)][:2] == ["mocov2-s0", "leoclr-s1"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_script_prints_the_plan_of_a_call():
    out = subprocess.run(["bash", "scripts/cifar10_gpu.sh", "--dry-run", "--time-budget", "420"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert "20 epochs, seeds [0, 1, 2], verdict on knn_top1" in out and "THIS CALL" in out


def test_heads_and_head_output_knn():
    from pretrain.mocov2 import MoCoV2

    small = dict(arch="resnet18", proj_dim=8, queue_size=16, bn="plain")
    assert [type(m).__name__ for m in MoCoV2(**small, head="linear").neck] == ["Linear"]
    assert [type(m).__name__ for m in MoCoV2(**small, proj_hidden_dim=512).neck] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="model.head"):
        MoCoV2(**small, head="mlp3")
    demo = (REPO / "configs/pretrain/cifar10/mocov2demo_r18-cifar-linearhead_1xb512-warmup-coslr-20e_cifar10.py")
    assert "features='head'" in demo.read_text() and "head='linear'" in demo.read_text()
    model = MoCoV2(**small, head="linear").eval()
    features = torch.nn.Sequential(model.backbone, model.neck)(torch.randn(2, 3, 32, 32))
    assert features.shape == (2, 8)  # what KNNMonitorHook(features='head') votes on


def test_the_verdict_waits_for_every_fixed_seed():
    from suite.aggregate import TableResult
    from suite.tables import load_tables
    from suite.verdict_section import comparisons

    table = next(t for t in load_tables(check_files=False) if t.name == "cifar10")
    le, mo = {0: 60.0, 1: 61.0, 7: 99.0}, {0: 58.0, 1: 58.5, 7: 10.0}   # seed 7 is not one of the study's

    def verdicts(profile, le, mo):
        result = TableResult(table=table, lines=[], status="partial", expected=0, have=0,
                             values={("leoclr-knn", "knn_top1"): le, ("mocov2-knn", "knn_top1"): mo})
        return {row: c for _, row, _, c in comparisons([result], profile)}

    pending = verdicts("cifar10-gpu", le, mo)["leoclr-knn"]
    assert pending.verdict == "pending: 2 of 3 fixed seeds" and not pending.assessed
    complete = verdicts("cifar10-gpu", {**le, 2: 62.0}, {**mo, 2: 59.0})["leoclr-knn"]
    assert complete.n == 3 and complete.assessed                  # seed 7 left out of the pairing
    assert verdicts("cifar10", le, mo)["leoclr-knn"].n == 3        # no study for the CPU profile: all seeds
