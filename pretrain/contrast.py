"""Machinery shared by MoCo-v2 and LeOCLR, written once: encoders, projection head, queue of negatives,
momentum (EMA) update, InfoNCE, and the batch-norm treatment of the key encoder.

A method subclass only says which views it takes and how they meet the loss (`mocov2.py`, `leoclr.py`).
"""
from __future__ import annotations

import copy
import warnings

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.registry import MODELS
from torch import nn

from pretrain.counter_rng import permutation
from pretrain.resnet_trunk import build_resnet

INFONCE_PRECISIONS = ("fp32", "autocast")
HEADS = ("mlp", "linear")
FEATURE_DIMS = {"resnet18": 512, "resnet34": 512, "resnet50": 2048, "resnet101": 2048, "resnet152": 2048}
BN_MODES = ("shuffle", "split", "sync", "plain")


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@torch.no_grad()
def concat_all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor from every rank along dim 0 (no gradient, as in MoCo)."""
    if not _distributed():
        return tensor
    gathered = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, tensor.contiguous())
    return torch.cat(gathered)


class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm whose training statistics come from `num_splits` disjoint sub-batches, as if each sat on its
    own GPU: the single-device stand-in for MoCo's per-GPU BN + shuffle (MoCo's colab `SplitBatchNorm`).
    Its state_dict keys are those of `nn.BatchNorm2d`, so exports keep torchvision names."""

    def __init__(self, num_features: int, num_splits: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.num_splits = num_splits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        splits = self.num_splits
        if not self.training or splits == 1:
            return super().forward(x)
        if n % splits:
            raise ValueError(f"SplitBatchNorm: batch of {n} does not split into {splits} equal parts; "
                             f"set model.bn_splits to a divisor of the per-device batch size")
        running_mean = self.running_mean.repeat(splits)
        running_var = self.running_var.repeat(splits)
        out = F.batch_norm(x.reshape(n // splits, c * splits, h, w), running_mean, running_var,
                           self.weight.repeat(splits), self.bias.repeat(splits), True, self.momentum, self.eps)
        self.running_mean.copy_(running_mean.view(splits, c).mean(0))
        self.running_var.copy_(running_var.view(splits, c).mean(0))
        self.num_batches_tracked.add_(1)
        return out.reshape(n, c, h, w)


def convert_to_split_bn(module: nn.Module, num_splits: int) -> nn.Module:
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            split = SplitBatchNorm(child.num_features, num_splits, eps=child.eps, momentum=child.momentum)
            split.load_state_dict(child.state_dict())
            setattr(module, name, split)
        else:
            convert_to_split_bn(child, num_splits)
    return module


@MODELS.register_module()
class MultiViewPreprocessor(BaseDataPreprocessor):
    """Moves uint8 views to the device and normalises them there (RGB mean/std in 0-255 units)."""

    def __init__(self, mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375), channels_last=False):
        super().__init__(non_blocking=True)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        images = (images.float() - self.mean) / self.std
        return images.contiguous(memory_format=self.memory_format)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data["inputs"]
        inputs = [self.normalise(v) for v in inputs] if isinstance(inputs, (list, tuple)) else self.normalise(inputs)
        return {"inputs": inputs, "data_samples": data.get("data_samples")}


class MomentumContrast(BaseModel):
    """Query encoder f_q (trained), momentum encoder f_k (EMA of f_q), MLP head, queue of negative keys.

    State (all in the state_dict, so resume restores it): `backbone`/`neck` (f_q), `momentum_backbone`/
    `momentum_neck` (f_k), buffers `queue` (proj_dim × K, L2-normalised columns), `queue_ptr`, and `step`
    (seeds the key shuffle, so a resumed run shuffles exactly as the uninterrupted one).
    """

    view_names: tuple[str, ...] = ()

    def __init__(self, arch="resnet50", stem="standard", proj_hidden_dim=None, proj_dim=128, head="mlp",
                 queue_size=65536, momentum=0.999, temperature=0.2, bn="shuffle", bn_splits=8, seed=0,
                 channels_last=False, infonce_precision="fp32", diagnostics=False, compile=False,
                 data_preprocessor=None, init_cfg=None):
        data_preprocessor = data_preprocessor or dict(type="MultiViewPreprocessor")
        data_preprocessor.setdefault("channels_last", channels_last)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if bn not in BN_MODES:
            raise ValueError(f"model.bn={bn!r}: choose one of {BN_MODES}")
        self.momentum, self.temperature, self.seed = momentum, temperature, seed
        if infonce_precision not in INFONCE_PRECISIONS:
            raise ValueError(f"model.infonce_precision={infonce_precision!r}: choose one of {INFONCE_PRECISIONS}")
        # fp32: the logits in float32 whatever the autocast (issue 23: under bf16 autocast the negative logits of
        # `q @ queue` were bf16-quantised while the positive ones were not); autocast: as before, for the ablation
        self.infonce_precision = infonce_precision
        self.diagnostics = diagnostics  # log the key batch's mean pairwise cosine and the embeddings' effective rank
        feat_dim = FEATURE_DIMS[arch]
        self.backbone = build_resnet(arch, stem)
        if head not in HEADS:
            raise ValueError(f"model.head={head!r}: choose one of {HEADS}")
        # mlp: MoCo-v2's Linear-ReLU-Linear; linear: one Linear, as MoCo v1 and MoCo's CIFAR-10 demo (512 → 128)
        self.neck = (nn.Sequential(nn.Linear(feat_dim, proj_hidden_dim or feat_dim), nn.ReLU(inplace=True),
                                   nn.Linear(proj_hidden_dim or feat_dim, proj_dim)) if head == "mlp"
                     else nn.Sequential(nn.Linear(feat_dim, proj_dim)))
        self.bn_mode = self._resolve_bn(bn)
        if self.bn_mode == "split":
            convert_to_split_bn(self.backbone, bn_splits)
        self.momentum_backbone = copy.deepcopy(self.backbone)
        self.momentum_neck = copy.deepcopy(self.neck)
        for param in [*self.momentum_backbone.parameters(), *self.momentum_neck.parameters()]:
            param.requires_grad_(False)
        if self.bn_mode == "sync":
            self.backbone = nn.SyncBatchNorm.convert_sync_batchnorm(self.backbone)
            self.momentum_backbone = nn.SyncBatchNorm.convert_sync_batchnorm(self.momentum_backbone)
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("queue", F.normalize(torch.randn(proj_dim, queue_size, generator=generator), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self._shuffles = 0
        if channels_last:
            self.to(memory_format=torch.channels_last)
        if compile:  # [choice] off until measured faster (pretrain.bench --profile … --compile); in place, so the
            # state_dict keys stay those of the uncompiled modules and checkpoints load either way
            for module in (self.backbone, self.neck, self.momentum_backbone, self.momentum_neck):
                module.compile()

    @staticmethod
    def _resolve_bn(bn: str) -> str:
        if bn == "shuffle" and not _distributed():
            warnings.warn("model.bn='shuffle' needs several processes; on one device using 'split' "
                          "(SplitBatchNorm + in-batch key shuffle), MoCo's single-GPU substitute")
            return "split"
        return bn

    # ---- the pieces a method combines -------------------------------------------------------------
    def query(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.neck(self.backbone(images)), dim=1)

    @torch.no_grad()
    def key(self, images: torch.Tensor) -> torch.Tensor:
        """f_k on one view; with shuffle/split BN the batch is shuffled before f_k and restored after, on its own."""
        order = self._key_shuffle(images.shape[0], images.device)
        if order is None:
            return F.normalize(self.momentum_neck(self.momentum_backbone(images)), dim=1)
        if self.bn_mode == "shuffle":
            world, rank = dist.get_world_size(), dist.get_rank()
            gathered = concat_all_gather(images)
            mine = order.view(world, -1)[rank]
            keys = F.normalize(self.momentum_neck(self.momentum_backbone(gathered[mine])), dim=1)
            keys = concat_all_gather(keys)
            return keys[torch.argsort(order)].view(world, -1, keys.shape[1])[rank]
        keys = F.normalize(self.momentum_neck(self.momentum_backbone(images[order])), dim=1)
        return keys[torch.argsort(order)]

    def info_nce(self, q: torch.Tensor, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The MoCo InfoNCE (the paper's eq. 1): positive k, negatives from the queue; returns loss, pos, neg sims.
        Computed in float32 with autocast off (`infonce_precision='fp32'`): a few MFLOP per image, and the
        positive and negative logits then share one precision."""
        with torch.autocast(q.device.type, enabled=self.infonce_precision != "fp32"):
            q, k = q.float(), k.float()
            pos = (q * k).sum(dim=1, keepdim=True)
            neg = q @ self.queue.clone()  # a copy: the queue is updated in place before backward
            logits = torch.cat([pos, neg], dim=1) / self.temperature
            labels = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
            return F.cross_entropy(logits, labels), pos.detach(), neg.detach()

    @property
    def key_views(self) -> tuple[int, ...]:
        """Indices of the views whose keys enter the queue."""
        return (1,)

    @torch.no_grad()
    def prefill_queue(self, batches) -> int:
        """Replace the random initial queue by f_k's keys of real views (issue 23's pre-fill ablation, off by
        default: `queue_prefill=True` in the config, `pretrain.hooks.QueuePrefillHook`). Takes loader batches until
        K keys are in (the last batch's keys cut to what is left, so no pre-filled key overwrites another); returns
        how many went in; the pointer is back at 0 when the queue is full."""
        size, filled = self.queue.shape[1], 0
        for batch in batches:
            views = self.data_preprocessor(batch, training=True)["inputs"]
            world = dist.get_world_size() if _distributed() else 1
            for index in self.key_views:
                keys = self.key(views[index])[:(size - filled) // world]  # every rank the same share of what is left
                self.enqueue(keys)
                filled += keys.shape[0] * world
            self._shuffles = 0
            if filled + world > size:  # full (up to a remainder smaller than the number of ranks)
                break
        return filled

    @property
    def keys_per_image(self) -> int:
        """Keys each training image adds to the queue per step (what sets how soon the random initial keys are
        gone: `pretrain.collapse.queue_full_step`)."""
        return 1

    @torch.no_grad()
    def embedding_stats(self, q: torch.Tensor, k: torch.Tensor) -> dict:
        """Diagnostics (`model.diagnostics=True`): the key batch's mean pairwise cosine (→ 1 when every key points
        one way) and the effective rank of the query embeddings (exp of the entropy of their normalised singular
        values; 1 = one direction, up to the embedding width)."""
        k = k.float()
        n = k.shape[0]
        total = k.sum(0)
        key_cos = ((total @ total) - (k * k).sum()) / max(1, n * (n - 1))
        singular = torch.linalg.svdvals(q.float() - q.float().mean(0))
        p = singular / singular.sum().clamp_min(1e-12)
        eff_rank = torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum())
        return {"key_cos": key_cos, "eff_rank": eff_rank}

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Keys into the queue's oldest columns. The pointer stays a device tensor (no host read per step)."""
        keys = concat_all_gather(keys.float())
        size = self.queue.shape[1]
        keys = keys[-size:]
        slots = (self.queue_ptr + torch.arange(keys.shape[0], device=keys.device)) % size
        self.queue.index_copy_(1, slots, keys.T.to(self.queue.dtype))
        self.queue_ptr.copy_((self.queue_ptr + keys.shape[0]) % size)

    # ---- plumbing --------------------------------------------------------------------------------
    def _key_shuffle(self, n: int, device) -> torch.Tensor | None:
        if self.bn_mode in ("plain", "sync"):
            return None
        total = n * (dist.get_world_size() if self.bn_mode == "shuffle" else 1)
        # The argsort of counter uniforms of (seed, step, slot), on the device from the step buffer: the same
        # permutation on every rank (no broadcast), after a resume, and on any device, without a host read.
        slot = self._shuffles
        self._shuffles += 1
        return permutation(self.seed, self.step, slot, total).to(device)

    @torch.no_grad()
    def momentum_update(self) -> None:
        online = [*self.backbone.parameters(), *self.neck.parameters()]
        target = [*self.momentum_backbone.parameters(), *self.momentum_neck.parameters()]
        torch._foreach_lerp_(target, [p.detach() for p in online], 1.0 - self.momentum)

    def forward(self, inputs, data_samples=None, mode: str = "loss"):
        if mode == "tensor":
            return self.backbone(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
        if mode != "loss":
            raise ValueError(f"{type(self).__name__} supports mode 'loss' and 'tensor', not {mode!r}")
        if len(inputs) != len(self.view_names):
            raise ValueError(f"{type(self).__name__} takes {len(self.view_names)} views {self.view_names}, got "
                             f"{len(inputs)}: check train_dataloader.dataset.views in the config")
        self._shuffles = 0
        self.momentum_update()
        losses = self.loss(*inputs)
        self.step += 1
        # a non-finite loss is caught at the next logging step (pretrain.hooks.SyncFreeRuntimeInfoHook), not here:
        # a check per step would stop the device every step to read one bool
        return losses

    def loss(self, *views: torch.Tensor) -> dict:
        raise NotImplementedError
