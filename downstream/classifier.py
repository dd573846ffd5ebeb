"""The classifier of the classification protocols (linear, fine-tuning, transfer, kNN), registered for their configs:
`ResNetClassifier` (a `pretrain.checkpoints` ResNet trunk + a linear head), its data preprocessor
`ClsDataPreprocessor` and the accuracy metric `ClsAccuracy`. The runner is `downstream.classification`; the frozen
trunk's bookkeeping is `downstream.frozen_backbone`."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseDataPreprocessor, BaseModel, is_model_wrapper
from mmengine.registry import METRICS, MODELS
from torch import nn

from pretrain.checkpoints import load_backbone
from pretrain.resnet_trunk import FEATURE_DIMS


# ================================================================================================ model
@MODELS.register_module()
class ClsDataPreprocessor(BaseDataPreprocessor):
    """Moves the batch to the device; uint8 images (N, 3, H, W) become normalised float; pre-extracted
    features (N, D) pass through unchanged."""

    def __init__(self, mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), False)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images.float() - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data["inputs"]
        if inputs.dim() == 4:
            inputs = self.normalise(inputs)
        return {"inputs": inputs, "data_samples": data.get("data_samples")}


@MODELS.register_module()
class ResNetClassifier(BaseModel):
    """A torchvision ResNet trunk from `pretrain.checkpoints.load_backbone` + a linear head on its pooled
    features.

    ``checkpoint``: a backbone file or ``"random"`` (seeded by ``seed``). ``frozen=True``: the linear
    protocol (trunk without gradients, always in eval mode). ``num_classes=0``: no head (kNN).
    The head is initialised N(0, ``head_init_std``), bias 0 (MoCo's linear classifier), from ``seed``.
    ``head_norm=True`` puts a BatchNorm without affine parameters in front of the head (MAE's linear probe):
    the classifier stays linear in the features but becomes insensitive to their scale, so one learning rate
    suits backbones whose features differ in magnitude (off in the MoCo protocol).
    """

    def __init__(self, checkpoint="random", arch="resnet50", stem="standard", num_classes=1000, frozen=True,
                 seed=0, head_init_std=0.01, head_norm=False, label_smoothing=0.0, data_preprocessor=None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor or dict(type="ClsDataPreprocessor"),
                         init_cfg=init_cfg)
        self.checkpoint, self.arch, self.stem, self.seed = str(checkpoint), arch, stem, int(seed)
        self.backbone, self.load_report = load_backbone(self.checkpoint, arch=arch, stem=stem, seed=seed)
        sidecar = self.load_report.sidecar or {}
        #: random init (literal "random" or a random export): BN statistics are re-estimated before freezing
        self.is_random_init = self.load_report.format == "random" or sidecar.get("method") == "random"
        self.frozen = bool(frozen)
        self.label_smoothing = label_smoothing
        dim = FEATURE_DIMS[self.load_report.arch]
        self.head_norm = nn.BatchNorm1d(dim, affine=False, eps=1e-6) if head_norm and num_classes else None
        if num_classes:
            self.head = nn.Linear(dim, int(num_classes))
            generator = torch.Generator().manual_seed(self.seed)
            with torch.no_grad():
                self.head.weight.normal_(0.0, head_init_std, generator=generator)
                self.head.bias.zero_()
        else:
            self.head = None
        if self.frozen:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def init_weights(self):
        """Nothing to do: the trunk comes from the loader and the head is initialised in ``__init__`` (the
        Runner calls this on fresh runs; BaseModule's version would only log every tensor as unchanged)."""

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.backbone.eval()  # BN statistics frozen (MoCo linear protocol)
        return self

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dim() == 2:  # features cached by FrozenBackboneHook(feature_cache=True)
            return inputs
        if self.frozen:
            with torch.no_grad():
                return self.backbone(inputs)
        return self.backbone(inputs)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        feats = self.extract_feat(inputs)
        if self.head is None:
            return feats
        if self.head_norm is not None:
            feats = self.head_norm(feats)
        logits = self.head(feats)
        if mode == "tensor":
            return logits
        if mode == "loss":
            return {"loss": F.cross_entropy(logits.float(), data_samples, label_smoothing=self.label_smoothing)}
        if mode == "predict":
            topk = logits.float().topk(min(5, logits.shape[1]), dim=1).indices
            return [{"topk": row, "gt": label} for row, label in zip(topk, data_samples)]
        raise ValueError(f"unknown mode {mode!r}")


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


# ================================================================================================ metric
@METRICS.register_module()
class ClsAccuracy(BaseMetric):
    """Top-1 / top-5 accuracy in percent (``top1``, ``top5``; top-5 is top-C when there are C < 5 classes) and
    ``mean_per_class_acc``: the mean over the classes present of each class's top-1 recall (the metric Kornblith
    et al. 2019 report for Pets, Flowers-102, Aircraft and Caltech-101)."""

    default_prefix = ""

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            self.results.append((sample["topk"].cpu(), int(sample["gt"])))

    def compute_metrics(self, results: list) -> dict:
        topk = torch.stack([r[0] for r in results])
        gt = torch.tensor([r[1] for r in results]).view(-1, 1)
        hits = topk == gt
        top1_hits = hits[:, 0].float()
        classes, label_index = gt.view(-1).unique(return_inverse=True)
        per_class = torch.zeros(len(classes)).index_add_(0, label_index, top1_hits)
        per_class /= torch.bincount(label_index, minlength=len(classes)).float()
        return {"top1": 100.0 * top1_hits.mean().item(),
                "top5": 100.0 * hits.any(dim=1).float().mean().item(),
                "mean_per_class_acc": 100.0 * per_class.mean().item()}
