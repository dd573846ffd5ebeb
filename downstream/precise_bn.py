"""Precise BN for mmengine runners: detectron2's ``TEST.PRECISE_BN`` (hooks.PreciseBN + fvcore's
``update_bn_stats``), which MoCo's detection configs switch on and mmdet / mmseg do not provide.

During training BatchNorm keeps an exponential moving average of batch statistics from weights that have since
moved. Before each evaluation detectron2 re-estimates every BN layer's running mean and variance as the plain
average of the batch statistics over ``NUM_ITER`` (200) training batches, with the current weights and no
gradient, and the training then continues from those statistics. `PreciseBNHook` does the same before every
validation (``before_val_epoch``: the periodic validations and the final one).

    custom_imports = dict(imports=['downstream.precise_bn'], allow_failed_imports=False)
    custom_hooks = [dict(type='PreciseBNHook', num_iters=200)]

The batches come from a dataloader of its own built from the config's ``train_dataloader`` (the training
pipeline, with augmentation, as detectron2's ``build_detection_train_loader``) with a sampler seeded apart from
training, so switching the hook on does not change the order of the training batches. Only the BN layers that
are in training mode after ``model.train()`` are re-estimated: layers frozen by ``norm_eval=True`` keep their
statistics (detectron2's FrozenBN is not a BatchNorm either). With SyncBN every rank runs the same number of
batches, so each batch statistic is synchronised as in training.
"""
from __future__ import annotations

import copy
import itertools
from typing import Callable, Iterable

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from torch import nn

__all__ = ["update_bn_stats", "PreciseBNHook"]

#: the sampler of the hook's own dataloader is seeded with (training seed + this offset)
SEED_OFFSET = 7919


def _training_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats]


@torch.no_grad()
def update_bn_stats(model: nn.Module, batches: Iterable, forward: Callable[[object], object],
                    num_iters: int) -> int:
    """Re-estimate the running statistics of every BN layer that ``model.train()`` leaves in training mode as
    the average over ``num_iters`` batches of their batch mean and (unbiased) batch variance: fvcore's
    ``update_bn_stats``. ``forward(batch)`` runs one batch through the model. Returns the number of batches
    used (fewer than ``num_iters`` only if ``batches`` runs out). Weights are untouched; the model's
    training/eval mode is restored."""
    was_training = model.training
    model.train()
    norms = _training_norms(model)
    if not norms:
        model.train(was_training)
        return 0
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # PyTorch's cumulative average: after n batches, the mean of the n batch statistics
    used = 0
    try:
        for batch in itertools.islice(batches, num_iters):
            forward(batch)
            used += 1
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.train(was_training)
    return used


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """Before every validation, `update_bn_stats` over ``num_iters`` training batches (detectron2:
    ``TEST.PRECISE_BN.ENABLED``, ``NUM_ITER`` 200). ``dataloader``: a dataloader config to draw them from
    instead of the config's ``train_dataloader`` (e.g. fewer workers)."""

    priority = "ABOVE_NORMAL"  # before hooks that read the model in before_val_epoch

    def __init__(self, num_iters: int = 200, dataloader: dict | None = None):
        if num_iters <= 0:
            raise ValueError(f"num_iters must be positive, got {num_iters}")
        self.num_iters = int(num_iters)
        self.dataloader_cfg = dataloader
        self._dataloader = None
        self._done_at_iter: int | None = None
        self.history: list[dict] = []

    def _batches(self, runner):
        if self._dataloader is None:
            cfg = copy.deepcopy(dict(self.dataloader_cfg or runner.cfg.train_dataloader))
            seed = (runner.seed or 0) + SEED_OFFSET
            cfg["sampler"] = dict(cfg.get("sampler") or dict(type="InfiniteSampler", shuffle=True), seed=seed)
            self._dataloader = runner.build_dataloader(cfg, seed=seed)
        return iter(self._dataloader)

    def before_val_epoch(self, runner) -> None:
        if self._done_at_iter == runner.iter:  # the statistics are already those of the current weights
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model

        def forward(batch):
            data = model.data_preprocessor(batch, True)
            model(**data, mode="loss")

        used = update_bn_stats(model, self._batches(runner), forward, self.num_iters)
        model.eval()  # the validation loop expects eval mode (it set it before calling this hook)
        self._done_at_iter = runner.iter
        self.history.append({"iter": runner.iter, "batches": used})
        runner.logger.info(f"precise BN: BN running statistics re-estimated on {used} training batches at "
                           f"iteration {runner.iter}")
