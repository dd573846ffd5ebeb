"""The batch guard (issue 11, contracts.md §7): a paper config's protocol_batch against the run's global batch."""
import json

import pytest
from mmengine.config import Config

from suite import aggregate, report
from suite.tables import load_tables
from pretrain import train
from common.records import batch_fields

TINY = "configs/pretrain/tiny/mocov2_r18_1xb8-4it_scenes32.py"


def test_every_paper_training_config_declares_its_protocol_batch():
    expected = {"configs/pretrain/mocov2_r50_8xb32-coslr-800e_in1k.py": 256,
                "configs/pretrain/leoclr_r50-cifar_8xb64-coslr-800e_cifar10.py": 512,
                "configs/linear/linear_r50_8xb32-steplr-100e_in1k.py": 256,
                "configs/detection/faster-rcnn_r50-c4_24k_voc0712.py": 16,
                "configs/detection/mask-rcnn_r50-c4_1x_coco.py": 16,
                "configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py": 16}
    for path, batch in expected.items():
        cfg = Config.fromfile(path)
        assert cfg.protocol_batch == batch, path
        assert batch_fields(cfg, world_size=batch // cfg.train_dataloader.batch_size)["batch_mismatch"] is False
    for path in ("configs/pretrain/smoke/leoclr_r18_1xb64-100it_scenes64.py", TINY,
                 "configs/linear/smoke/linear_r18_scenes64.py"):
        assert Config.fromfile(path).get("protocol_batch") is None, path  # smoke and tiny are not guarded


def test_a_mismatch_is_refused_with_both_numbers_and_the_flag():
    cfg = Config(dict(protocol_batch=256, train_dataloader=dict(batch_size=32), config_path="x.py"))
    with pytest.raises(SystemExit, match=r"global batch 32 .* protocol_batch 256.*--allow-batch-mismatch"):
        batch_fields(cfg, world_size=1)
    assert batch_fields(cfg, world_size=1, allow_mismatch=True) == {
        "global_batch": 32, "protocol_batch": 256, "batch_mismatch": True}
    cfg.optim_wrapper = dict(accumulative_counts=8)  # accumulation counts towards the global batch
    assert batch_fields(cfg, world_size=1)["batch_mismatch"] is False


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from pretrain.datasets.scenes import generate
    root = tmp_path_factory.mktemp("guard")
    generate(root / "scenes-tiny32", seed=0, size=60, image_size=32, workers=1)
    return root


def test_the_runner_refuses_then_records_an_allowed_mismatch(tiny_data, tmp_path):
    argv = [TINY, "--data-root", str(tiny_data), "--work-dir", str(tmp_path / "run"),
            "--cfg-options", "protocol_batch=256", "train_cfg.max_iters=1", "param_scheduler.0.T_max=1",
            "param_scheduler.0.end=1"]
    with pytest.raises(SystemExit, match=r"global batch 8 .*protocol_batch 256"):
        train.main(argv)
    assert not (tmp_path / "run" / "record.json").exists()  # refused before anything ran
    assert train.main(argv + ["--allow-batch-mismatch"]) == 0
    record = json.loads((tmp_path / "run" / "record.json").read_text())
    assert (record["global_batch"], record["protocol_batch"], record["batch_mismatch"]) == (8, 256, True)


def test_the_report_flags_a_mismatched_row(tmp_path):
    runs = tmp_path / "runs" / "paper" / "linear" / "lin-s0"
    runs.mkdir(parents=True)
    runs.joinpath("record.json").write_text(json.dumps({
        "stage": "linear", "profile": "paper", "run_id": "lin-s0", "seed": 0, "method": "mocov2", "status": "finished",
        "metrics": {"top1": 60.0, "top5": 80.0}, "rows": [{"table": "in1k_linear", "row": "mocov2-r50-800e"}],
        "global_batch": 32, "protocol_batch": 256, "batch_mismatch": True, "wall_s": 1.0}))
    report.write_report("paper", tmp_path / "runs", tmp_path / "results", only=["in1k_linear"],
                        tables=load_tables(check_files=False), figures=False)
    lines = list(aggregate.read_csv(tmp_path / "results" / "paper" / "in1k_linear.csv"))
    flagged = [l for l in lines if l["row"] == "mocov2-r50-800e"]
    assert {l["flags"] for l in flagged} == {"batch_mismatch;legacy"}   # a hand-made record: schema 1
    assert all(l["flags"] == "" for l in lines if l["row"] != "mocov2-r50-800e")
    assert "60.00 †" in (tmp_path / "results" / "paper" / "README.md").read_text()
