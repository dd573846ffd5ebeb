"""The ResNet trunks the suite builds, and the check of a state dict against one.

``build_resnet(arch, stem)`` is the torchvision ResNet trunk (``fc`` = identity) of every
pretraining encoder and every downstream backbone; ``verify`` compares a
torchvision-named state dict with it key by key and shape by shape, and
``failure_message`` says what differs (with a guess at the arch/stem the tensors
show, from ``infer_layout``). `pretrain.checkpoints` reads checkpoint files onto
these trunks.

Like `pretrain.checkpoints`, which downstream code imports, this module imports
only torch, torchvision and the standard library and has no side effects at
import time.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Mapping

import torch
import torchvision
from torch import nn

__all__ = [
    "ARCHS",
    "STEMS",
    "FEATURE_DIMS",
    "NBT",
    "build_resnet",
    "expected_shapes",
    "infer_layout",
    "verify",
    "failure_message",
]

# arch -> (block type, blocks per stage)
_LAYOUTS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}
ARCHS: tuple[str, ...] = tuple(_LAYOUTS)
#: "standard_nomaxpool": the 7x7/2 conv1 without the max-pool (small images on a CPU budget); its tensors are
#: the standard stem's, so only a sidecar or an explicit stem tells them apart
STEMS: tuple[str, ...] = ("standard", "cifar", "standard_nomaxpool")
#: width of the pooled feature vector that ``build_resnet(arch)`` outputs
FEATURE_DIMS: dict[str, int] = {a: (512 if b == "basic" else 2048) for a, (b, _) in _LAYOUTS.items()}

NBT = "num_batches_tracked"
_MAX_LISTED = 10


# --------------------------------------------------------------------------- model


def build_resnet(arch: str, stem: str = "standard") -> torchvision.models.ResNet:
    """A randomly initialised torchvision ResNet trunk.

    ``arch``: one of :data:`ARCHS`. ``stem="cifar"`` replaces ``conv1`` by a
    3x3 stride-1 conv (64 out, no bias; torchvision's kaiming-normal init) and
    ``maxpool`` by ``nn.Identity``; ``stem="standard_nomaxpool"`` drops only the
    max-pool. ``fc`` is ``nn.Identity``, so
    ``model(x)`` returns the pooled, flattened features of width
    ``FEATURE_DIMS[arch]`` (512 for resnet18/34, 2048 otherwise) and the
    state_dict has no ``fc.*`` keys. Initialisation draws from the global RNG.
    """
    if arch not in _LAYOUTS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHS)}")
    if stem not in STEMS:
        raise ValueError(f"unknown stem {stem!r}; expected one of {', '.join(STEMS)}")
    model = getattr(torchvision.models, arch)(weights=None)
    if stem == "cifar":
        model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
        model.maxpool = nn.Identity()
    elif stem == "standard_nomaxpool":
        model.maxpool = nn.Identity()
    model.fc = nn.Identity()
    return model


@functools.lru_cache(maxsize=None)
def expected_shapes(arch: str, stem: str) -> dict[str, tuple[int, ...]]:
    # meta device: shapes only, no memory, no RNG use
    with torch.device("meta"):
        model = build_resnet(arch, stem)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def infer_layout(trunk: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(arch or None, stem or None, description) from torchvision-named trunk keys."""
    blocks = []
    for i in range(1, 5):
        idx = [int(m.group(1)) for k in trunk if (m := re.match(rf"^layer{i}\.(\d+)\.", k))]
        blocks.append(max(idx) + 1 if idx else 0)
    kind = "bottleneck" if any(re.match(r"^layer\d\.\d+\.conv3\.", k) for k in trunk) else "basic"
    stem = None
    w = trunk.get("conv1.weight")
    if isinstance(w, torch.Tensor) and w.dim() == 4:
        stem = {7: "standard", 3: "cifar"}.get(int(w.shape[-1]))
    desc = f"{'Bottleneck' if kind == 'bottleneck' else 'BasicBlock'} blocks per stage {blocks}"
    if isinstance(w, torch.Tensor) and w.dim() == 4:
        desc += f", conv1 {w.shape[-2]}x{w.shape[-1]}"
    arch = None
    for name, (k, b) in _LAYOUTS.items():
        if k == kind and tuple(blocks) == b:
            arch = name
    w1 = trunk.get("layer1.0.conv1.weight")
    if arch and isinstance(w1, torch.Tensor) and w1.dim() == 4 and int(w1.shape[0]) != 64:
        desc += f", layer1 width {int(w1.shape[0])} (not a plain ResNet)"
        arch = None
    return arch, stem, desc


# --------------------------------------------------------------------------- verification


def _fmt_shape(v: Any) -> str:
    return str(list(v.shape)) if isinstance(v, torch.Tensor) else type(v).__name__


def verify(
    trunk: dict[str, Any], arch: str, stem: str
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(missing float keys, missing num_batches_tracked keys, shape mismatches, unexpected keys)."""
    expected = expected_shapes(arch, stem)
    missing = [k for k in expected if k not in trunk and not k.endswith(NBT)]
    missing_nbt = [k for k in expected if k not in trunk and k.endswith(NBT)]
    mismatched = [
        k for k in expected
        if k in trunk and (not isinstance(trunk[k], torch.Tensor) or tuple(trunk[k].shape) != expected[k])
    ]
    unexpected = [k for k in trunk if k not in expected]
    return missing, missing_nbt, mismatched, unexpected


def failure_message(
    path: Any, fmt: str, arch: str, stem: str, trunk: dict[str, Any], missing: list[str],
    mismatched: list[str], unexpected: list[str], arch_source: str, stem_source: str, prefix: str,
) -> str:
    expected = expected_shapes(arch, stem)

    def listing(title: str, keys: list[str], fn) -> list[str]:
        if not keys:
            return []
        out = [f"  {title} ({len(keys)}):"]
        out += [f"    {fn(k)}" for k in keys[:_MAX_LISTED]]
        if len(keys) > _MAX_LISTED:
            out.append(f"    ... and {len(keys) - _MAX_LISTED} more")
        return out

    lines = [
        f"{path}: checkpoint (format {fmt!r}, prefix {prefix!r}) does not match {arch} with the {stem!r} stem "
        f"(arch from {arch_source}, stem from {stem_source}); {len(trunk)} trunk tensors found, "
        f"{len(expected)} expected."
    ]
    lines += listing("missing", missing, lambda k: f"{k}  expected {list(expected[k])}")
    lines += listing("shape mismatch", mismatched,
                     lambda k: f"{k}  checkpoint {_fmt_shape(trunk[k])} vs expected {list(expected[k])}")
    lines += listing("unexpected", unexpected, lambda k: f"{k}  {_fmt_shape(trunk[k])}")
    inf_arch, inf_stem, desc = infer_layout(trunk)
    hints = []
    if inf_arch and inf_arch != arch:
        hints.append(f"wrong --arch? the checkpoint looks like {inf_arch} ({desc})")
    if inf_stem and inf_stem != stem:
        hints.append(f"wrong --stem? the checkpoint's conv1 is the {inf_stem!r} stem")
    if not inf_arch:
        hints.append(f"the checkpoint trunk ({desc}) matches none of {', '.join(ARCHS)}: "
                     "a truncated file or a different architecture")
    if not hints:
        hints.append("the checkpoint looks truncated or partially saved")
    lines.append("  hint: " + "; ".join(hints))
    return "\n".join(lines)
