"""Process-group start for every runner (pretraining, classification, detection, segmentation).

`torchrun … --launcher pytorch` and `srun … --launcher slurm` go through mmengine's own launchers on GPUs. On a
machine without a GPU mmengine's `pytorch` launcher cannot start (it calls `torch.cuda.set_device`), so the
process group is initialised here with gloo from torchrun's environment, before the Runner exists (mmengine then
sees an initialised group and keeps it), and the model is wrapped in DDP with `device_ids=None`, which is what a
CPU module needs (mmengine always passes `[LOCAL_RANK]`). Nothing of mmengine is patched.

    init_distributed(launcher)      -> (rank, world_size); call first thing in a runner's main
    wrap_for_device(cfg)            -> sets cfg.model_wrapper_cfg for CPU DDP (no-op on GPUs and single process)
    rank_zero_decides(fn, *args)    -> fn(*args) on rank 0, its result broadcast to every rank, behind a barrier
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


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
    """Several CPU processes: DDP without device ids (gloo all-reduces the gradients)."""
    if is_distributed() and not torch.cuda.is_available() and cfg.get("model_wrapper_cfg") is None:
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
        for a module on the CPU."""

        def __init__(self, module, device_ids=None, **kwargs):
            super().__init__(module=module, device_ids=None, **kwargs)


_register_wrapper()
