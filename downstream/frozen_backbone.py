"""A frozen trunk (linear protocol, kNN, the logistic probe): BatchNorm statistics re-estimated for a random-init
trunk (`recalibrate_bn`), features extracted in eval mode (`extract_features`), and the check that training left it
unchanged (`backbone_fingerprint`, `verify_frozen_backbone`), run around training by `FrozenBackboneHook`
(registered for the configs)."""
from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from torch import nn
from torch.utils.data import DataLoader, Subset
from torch.utils.data._utils.collate import default_collate

from downstream.classifier import ResNetClassifier, unwrap
from downstream.datasets import FeatureDataset, collate_batched
from downstream.precise_bn import update_bn_stats
from pretrain.checkpoints import load_backbone


def backbone_fingerprint(backbone: nn.Module) -> dict[str, str]:
    """sha256 of every trunk tensor's bytes (parameters and buffers)."""
    out = {}
    for key, tensor in backbone.state_dict().items():
        data = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
        out[key] = hashlib.sha256(data.tobytes()).hexdigest()[:32]
    return out


def recalibrate_bn(backbone: nn.Module, preprocess, dataset, batch_size=256, max_samples=None, num_workers=0,
                   logger=None) -> int:
    """Re-estimate every BatchNorm's running mean/var as the plain average over forward passes of (up to
    ``max_samples``, evenly spaced) images of ``dataset`` (`downstream.precise_bn.update_bn_stats`, the mechanism the
    detection configs' precise BN uses); no gradient, weights untouched. Returns the count."""
    indices = list(range(len(dataset)))
    if max_samples and max_samples < len(indices):
        indices = np.linspace(0, len(dataset) - 1, int(max_samples)).round().astype(int).tolist()
    loader = DataLoader(Subset(dataset, indices), batch_size=batch_size, shuffle=False, num_workers=num_workers,
                        collate_fn=default_collate)
    done = 0

    def forward(batch):
        nonlocal done
        backbone(preprocess(batch, False)["inputs"])
        done += 1
        if logger and done % 20 == 0:
            logger.info(f"BN re-estimation: {done}/{len(loader)} batches")

    update_bn_stats(backbone, loader, forward, num_iters=len(loader))
    return len(indices)


@torch.no_grad()
def extract_features(model: ResNetClassifier, dataset, batch_size=256, num_workers=0, normalise=False):
    """(features, labels) of ``dataset`` in order, through the data preprocessor and the (eval-mode) trunk."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                        collate_fn=default_collate)
    was_training = model.backbone.training
    model.backbone.eval()
    feats, labels = [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        out = model.backbone(data["inputs"]).float()
        feats.append(F.normalize(out, dim=1) if normalise else out)
        labels.append(data["data_samples"])
    model.backbone.train(was_training)
    return torch.cat(feats), torch.cat(labels)


class BackboneChangedError(RuntimeError):
    """The frozen trunk differs from what was loaded: the linear protocol was violated."""


def verify_frozen_backbone(model: ResNetClassifier, fingerprint: dict[str, str], recalibrated: bool) -> dict:
    """Fail loudly unless the trunk equals (1) its fingerprint taken when it was frozen and (2) a fresh load of
    its source (every parameter; every buffer too unless BN statistics were re-estimated, in which case (1)
    covers them). Returns a summary for the record."""
    problems = []
    now = backbone_fingerprint(model.backbone)
    changed = sorted(k for k in fingerprint if now.get(k) != fingerprint[k])
    if changed or set(now) != set(fingerprint):
        problems.append(f"{len(changed)} tensors differ from their freeze-time fingerprint, e.g. {changed[:5]}")
    reference, report = load_backbone(model.checkpoint, arch=model.arch, stem=model.stem, seed=model.seed)
    if report.sha256 != model.load_report.sha256:
        problems.append(f"the checkpoint file {model.checkpoint} changed on disk during the run "
                        f"({model.load_report.sha256} -> {report.sha256})")
    params = dict(model.backbone.named_parameters())
    differ = []
    for key, ref in reference.state_dict().items():
        if recalibrated and key not in params:
            continue
        current = model.backbone.state_dict()[key]
        if not torch.equal(current.detach().cpu(), ref):
            differ.append(key)
    if differ:
        problems.append(f"{len(differ)} tensors differ from a fresh load of {model.checkpoint}, e.g. {differ[:5]}")
    if problems:
        raise BackboneChangedError("frozen backbone changed during training: " + "; ".join(problems))
    return {"verified": True, "tensors": len(now),
            "against": "freeze-time fingerprint and a fresh load of the source "
                       + ("(parameters; BN statistics re-estimated, checked by fingerprint)" if recalibrated
                          else "(parameters and buffers)")}


@HOOKS.register_module()
class FrozenBackboneHook(Hook):
    """Linear protocol bookkeeping for a frozen trunk.

    before_train: for a random-init trunk, re-estimate BN statistics on the training split (``bn_samples``
    evenly spaced images, the training pipeline, no gradient); fingerprint the trunk; with ``feature_cache``,
    extract the train and val features once and serve them instead of images (the trunk is frozen and the
    pipelines must be deterministic, so this changes nothing but speed: the smoke profile's CPU shortcut).
    after_train: `verify_frozen_backbone` (raises on any change). The fingerprint and the BN policy are
    saved in the checkpoints so a resumed run checks against the same reference.
    """

    priority = "VERY_HIGH"

    def __init__(self, bn_samples=None, feature_cache=False, batch_size=None, num_workers=None):
        self.bn_samples, self.feature_cache = bn_samples, feature_cache
        self.batch_size, self.num_workers = batch_size, num_workers
        self.state: dict | None = None
        self.check: dict | None = None

    def _loader_args(self, loader):
        return (self.batch_size or loader.batch_size,
                loader.num_workers if self.num_workers is None else self.num_workers)

    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        if not model.frozen:
            raise ValueError("FrozenBackboneHook needs model.frozen=True (linear protocol)")
        if self.state is None:  # fresh run (a resumed one got its state from the checkpoint)
            if model.is_random_init:
                batch_size, workers = self._loader_args(runner.train_dataloader)
                n = recalibrate_bn(model.backbone, model.data_preprocessor, runner.train_dataloader.dataset,
                                   batch_size, self.bn_samples, workers, runner.logger)
                policy = (f"random init: BN running statistics re-estimated on the training split ({n} images, "
                          f"forward passes, no gradient) before the backbone was frozen")
            else:
                policy = "pretrained backbone: BN running statistics kept from the checkpoint (MoCo protocol)"
            runner.logger.info(policy)
            self.state = {"fingerprint": backbone_fingerprint(model.backbone),
                          "recalibrated": bool(model.is_random_init), "bn_policy": policy}
        if self.feature_cache:
            self._cache(runner, model, runner.train_loop, "train")
            if runner.val_loop is not None:
                self._cache(runner, model, runner.val_loop, "val")

    def _cache(self, runner, model, loop, name) -> None:
        loader = loop.dataloader
        dataset = loader.dataset
        if not getattr(dataset, "deterministic", False):
            raise ValueError(f"feature_cache=True needs a deterministic {name} pipeline (kind='eval'); "
                             f"{type(dataset).__name__} has {getattr(dataset, 'pipeline_cfg', '?')}")
        batch_size, workers = self._loader_args(loader)
        runner.logger.info(f"feature cache: extracting {len(dataset)} {name} features once")
        feats, labels = extract_features(model, dataset, batch_size, workers)
        loop.dataloader = DataLoader(
            FeatureDataset(feats.cpu(), labels.cpu(), getattr(dataset, "metainfo", {})),
            batch_size=loader.batch_size, sampler=loader.sampler, num_workers=0,
            collate_fn=collate_batched, drop_last=loader.drop_last)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint["frozen_backbone"] = dict(self.state or {})

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint.get("frozen_backbone"):
            self.state = dict(checkpoint["frozen_backbone"])

    def after_train(self, runner) -> None:
        model = unwrap(runner.model)
        self.check = verify_frozen_backbone(model, self.state["fingerprint"], self.state["recalibrated"])
        runner.logger.info(f"backbone check: unchanged ({self.check['tensors']} tensors, {self.check['against']})")
