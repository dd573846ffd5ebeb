"""Shuffle-BN and the queue across processes (2 CPU processes, gloo): keys come back in each rank's order and
every rank enqueues the keys of all ranks."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F


def _worker(rank, world, init_file, results):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        from pretrain.mocov2 import MoCoV2
        torch.manual_seed(0)  # identical replicas, as DDP's initial broadcast guarantees in training
        model = MoCoV2(arch="resnet18", proj_dim=8, proj_hidden_dim=16, queue_size=64, bn="shuffle", seed=0).eval()
        x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(rank))
        model._shuffles = 0
        keys = model.key(x)  # eval mode: BN uses running stats, so only the order of the round trip can differ
        direct = F.normalize(model.momentum_neck(model.momentum_backbone(x)), dim=1)
        model.enqueue(keys)
        results[rank] = (model.bn_mode, (keys - direct).abs().max().item(), int(model.queue_ptr),
                         model.queue[:, :8].T.clone())
    finally:
        dist.destroy_process_group()


def test_shuffle_bn_round_trip_and_gathered_enqueue(tmp_path):
    manager = mp.Manager()
    results = manager.dict()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), results), nprocs=2, join=True)
    for rank in (0, 1):
        mode, error, ptr, _ = results[rank]
        assert mode == "shuffle" and error < 1e-5 and ptr == 8  # 4 keys from each of 2 ranks
    torch.testing.assert_close(results[0][3], results[1][3])  # both ranks hold the same queue
