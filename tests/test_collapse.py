"""The collapse watch (issue 23, pretrain/collapse.py) replayed on committed curves, the fix's switch, and the
identical-views sanity check."""
import csv
import json
from pathlib import Path

import pytest
import torch

from pretrain.collapse import queue_full_step, watch, watch_curves

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"


def replay(run_dir: Path):
    record = json.loads((run_dir / "record.json").read_text())
    with open(run_dir / "curves.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = 2 if record["method"] == "leoclr" and "enqueue-first" not in str(run_dir) else 1
    return watch_curves(rows, queue_full_step(4096, int(record.get("global_batch") or 256), keys))


GPU = RESULTS / "cifar10-gpu" / "records" / "pretrain"
CPU = RESULTS / "cifar10" / "records" / "pretrain"
DIAGNOSIS = RESULTS / "cifar10" / "diagnosis" / "records" / "base"


@pytest.mark.parametrize("run_dir, flagged", [
    (GPU / "leoclr_r18-cifar_1xb512-2min_cifar10-s0", "no_separation"),
    (GPU / "mocov2_r18-cifar_1xb512-2min_cifar10-s0", None),
    *[(CPU / f"{m}_r18_1xb64-coslr-6e_cifar10-s{s}", None) for m in ("leoclr", "mocov2") for s in (0, 1, 2)],
    (DIAGNOSIS / "leoclr", "collapse"),
    (DIAGNOSIS / "mocov2", "collapse"),
], ids=lambda value: value.name if isinstance(value, Path) else str(value))
def test_the_watch_replayed_on_committed_curves(run_dir, flagged):
    verdict = replay(run_dir)
    if flagged:
        assert verdict.state == flagged, verdict.message
    else:
        assert verdict.state == "ok", verdict.message


def test_the_watch_needs_a_full_queue_and_a_long_enough_stretch():
    collapsed = [(step, 0.999, 0.998) for step in range(10, 100, 10)]
    assert watch(collapsed, queue_full=8).state == "collapse"
    assert watch(collapsed, queue_full=90).state == "too_short"        # only random initial keys before
    stalled = [(step, 0.60, 0.58) for step in range(10, 400, 10)]
    assert watch(stalled, queue_full=8).state == "no_separation"
    dip = stalled[:5] + [(step, 0.6, 0.2) for step in range(60, 400, 10)]   # a dip it climbs out of
    assert watch(dip, queue_full=8).state == "ok"


@pytest.mark.parametrize("method", ["mocov2", "leoclr"])
def test_the_fix_builds_for_both_methods(method):
    """The warm-up [choice] of the batch-256 cifar10 rows: a LinearLR over the first iterations, then the cosine."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO / f"configs/pretrain/cifar10/{method}_r18_1xb256-warmup-coslr-6e_cifar10.py"))
    warm, cosine = cfg.param_scheduler
    assert warm["type"] == "LinearLR" and not warm["by_epoch"] and warm["end"] == cfg.warmup_iters > 0
    assert cosine["type"] == "CosineAnnealingLR" and cfg.train_dataloader.batch_size == 256
    assert cfg.model.type == {"mocov2": "MoCoV2", "leoclr": "LeOCLR"}[method]


def test_identical_views_give_positive_cosine_one():
    """The sanity check of the pairing: when the key's view is the query's view, the positive cosine is 1 at the
    first step (the key encoder starts as a copy of the query encoder); the first updates move the query encoder
    ahead of the EMA, and training on the trivial task brings the cosine back towards 1."""
    from pretrain.mocov2 import MoCoV2

    torch.manual_seed(0)
    model = MoCoV2(arch="resnet18", proj_dim=16, proj_hidden_dim=32, queue_size=16, momentum=0.9, bn="plain")
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    images = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    history = []
    for _ in range(30):
        out = model(inputs=[images, images.clone()], mode="loss")
        history.append(out["pos_sim"].item())
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
    assert history[0] > 0.9999 and min(history) < 0.95           # the query encoder did move
    assert sum(history[-5:]) / 5 > 0.95 > sum(history[2:7]) / 5    # and the pair is pulled back together


@pytest.mark.parametrize("method,keys_per_batch", [("mocov2", 4), ("leoclr", 8)])
def test_queue_prefill_replaces_every_random_key(method, keys_per_batch):
    """The pre-fill ablation (`queue_prefill=True`): f_k's keys of the key views (both crops for LeOCLR) replace
    every random initial column, in order, none overwriting another, and the pointer is back at 0."""
    from pretrain.leoclr import LeOCLR
    from pretrain.mocov2 import MoCoV2

    torch.manual_seed(0)
    model = (MoCoV2 if method == "mocov2" else LeOCLR)(arch="resnet18", proj_dim=16, proj_hidden_dim=32,
                                                       queue_size=20, bn="plain")
    views = len(model.view_names)
    batches = [{"inputs": [torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8) for _ in range(views)]}
               for _ in range(10)]
    random_queue = model.queue.clone()
    assert model.prefill_queue(iter(batches)) == 20
    keys = [model.key(model.data_preprocessor(batch, training=True)["inputs"][i]) for batch in batches[:5]
            for i in model.key_views]
    assert not torch.isclose(model.queue, random_queue).all(dim=0).any()       # no random column left
    assert torch.allclose(model.queue[:, :keys_per_batch], torch.cat(keys[:len(model.key_views)]).T, atol=1e-5)
    assert torch.allclose(model.queue[:, 16:], torch.cat(keys)[16:20].T, atol=1e-5)   # the last batch cut
    assert int(model.queue_ptr) == 0
