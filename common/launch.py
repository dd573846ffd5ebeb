"""Process-group start for every runner (pretraining, classification, detection, segmentation).

`torchrun … --launcher pytorch` and `srun … --launcher slurm` go through mmengine's own launchers on GPUs. On a
machine without a GPU mmengine's `pytorch` launcher cannot start (it calls `torch.cuda.set_device`), so the
process group is initialised here with gloo from torchrun's environment, before the Runner exists (mmengine then
sees an initialised group and keeps it), and the model is wrapped in DDP with `device_ids=None`, which is what a
CPU module needs (mmengine always passes `[LOCAL_RANK]`); SyncBN layers (e.g. a detection config's) become
per-process BN there, since SyncBN runs on GPUs only. Nothing of mmengine is patched.

    init_distributed(launcher)      -> (rank, world_size); call first thing in a runner's main
    wrap_for_device(cfg)            -> sets cfg.model_wrapper_cfg for CPU DDP (no-op on GPUs and without a launcher)
    rank_zero_decides(fn, *args)    -> fn(*args) on rank 0, its result broadcast to every rank, behind a barrier
"""
from __future__ import annotations

import logging
import os

import torch
import torch.distributed as dist
from torch import nn


def init_distributed(launcher: str) -> tuple[int, int]:
    """Initialise the process group for `launcher` ('none' | 'pytorch' | 'slurm' | 'mpi') if it is not yet."""
    if launcher == "none" or (dist.is_available() and dist.is_initialized()):
        return _rank_world()
    if torch.cuda.is_available():
        from mmengine.dist import init_dist
        init_dist(launcher)
    elif launcher == "pytorch":
        if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
            raise SystemExit("--launcher pytorch: RANK / WORLD_SIZE are not set; start the command with torchrun "
                             "(torchrun --nproc_per_node N -m <module> ... --launcher pytorch)")
        dist.init_process_group(backend="gloo")
    else:
        raise SystemExit(f"--launcher {launcher}: without a GPU only the pytorch launcher (torchrun, gloo) is "
                         f"supported")
    return _rank_world()


def _rank_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def wrap_for_device(cfg) -> None:
    """CPU processes under a launcher: DDP without device ids (gloo all-reduces the gradients). Also for one
    process (`torchrun --nproc_per_node 1`): mmengine wraps whenever a process group exists."""
    group = dist.is_available() and dist.is_initialized()
    if group and not torch.cuda.is_available() and cfg.get("model_wrapper_cfg") is None:
        cfg.model_wrapper_cfg = dict(type="CPUDistributedDataParallel", broadcast_buffers=False,
                                     find_unused_parameters=cfg.get("find_unused_parameters", False))


def rank_zero_decides(fn, *args, **kwargs):
    """Run `fn` on rank 0 only (e.g. deciding a run directory's fate and moving it aside), then give every rank its
    result; a SystemExit on rank 0 (a refused run) stops every rank with the same message."""
    if not is_distributed():
        return fn(*args, **kwargs)
    outcome = [None]
    if dist.get_rank() == 0:
        try:
            outcome = [("ok", fn(*args, **kwargs))]
        except SystemExit as err:
            outcome = [("exit", str(err.code))]
    dist.broadcast_object_list(outcome, src=0)
    dist.barrier()
    kind, value = outcome[0]
    if kind == "exit":
        raise SystemExit(value)
    return value


def _register_wrapper():
    from mmengine.model import MMDistributedDataParallel
    from mmengine.registry import MODEL_WRAPPERS

    if "CPUDistributedDataParallel" in MODEL_WRAPPERS.module_dict:
        return

    @MODEL_WRAPPERS.register_module()
    class CPUDistributedDataParallel(MMDistributedDataParallel):
        """MMDistributedDataParallel for CPU modules: mmengine passes `device_ids=[LOCAL_RANK]`, which DDP rejects
        for a module on the CPU. SyncBatchNorm only runs on GPUs (DDP refuses a CPU module holding one: "SyncBatchNorm
        layers only work with GPU modules"), so its layers become per-process BatchNorm here, as mmengine already
        does for a single process (`revert_sync_batchnorm`); the statistics are then those of each process's batch."""

        def __init__(self, module, device_ids=None, **kwargs):
            from mmengine.logging import print_log
            from mmengine.model import revert_sync_batchnorm

            if any(isinstance(m, nn.SyncBatchNorm) for m in module.modules()):
                print_log("CPU processes (gloo): SyncBatchNorm layers reverted to per-process BatchNorm "
                          "(SyncBN needs GPUs)", logger="current", level=logging.WARNING)
                module = revert_sync_batchnorm(module)
            super().__init__(module=module, device_ids=None, **kwargs)


_register_wrapper()
