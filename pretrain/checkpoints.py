"""One verified way to turn a checkpoint file into a torchvision ResNet trunk.

Downstream code imports this module and the trunk it builds on
(``pretrain.resnet_trunk``), so both import only torch, torchvision and the
standard library and have no side effects at import time.

Every checkpoint is read with ``torch.load(path, map_location="cpu",
weights_only=True)``: files holding anything beyond tensors and plain Python
containers/scalars are refused (no allow-lists).

Supported layouts, detected from the keys (``LoadReport.format``):

``export``
    our exported backbone: a tensor-only state_dict with torchvision key names
    and no ``fc.*``, optionally with a JSON sidecar ``<stem>.json`` next to it
    (written by :func:`save_backbone`).
``suite``
    our mmengine pretraining checkpoint: ``{"state_dict": {"backbone.*",
    "momentum_backbone.*", "neck.*", "momentum_neck.*", "queue", "queue_ptr"},
    "meta": ..., ...}``. ``backbone.*`` (the query encoder) is used.
``moco``
    facebookresearch/moco: ``state_dict`` with ``module.encoder_q.*`` (or
    ``encoder_q.*`` for single-GPU saves); the MLP head ``fc.*``,
    ``encoder_k.*`` and the queue are ignored.
``mmselfsup``
    mmselfsup / solo-learn style: ``backbone.*`` (optionally under
    ``state_dict``) next to necks, projectors, momentum encoders, queues.
    Mapped exactly like ``suite``; only the label differs (``suite`` = has both
    ``momentum_backbone.*`` and ``momentum_neck.*`` under ``state_dict`` and a
    top-level ``meta``).
``torchvision``
    a plain torchvision ResNet state_dict (``fc.*`` ignored), bare or wrapped
    as ``{"state_dict": ...}`` / ``{"model": ...}``.

A leading ``module.`` on every key (DataParallel/DDP saves) is stripped in all
layouts. After mapping, the trunk is verified against ``build_resnet(arch,
stem)`` (``pretrain.resnet_trunk.verify``): every expected key present, every
shape equal, no unexpected trunk keys (so a resnet34 cannot be silently loaded
as a resnet18). The one tolerated gap is BatchNorm ``num_batches_tracked``:
when absent it is filled with 0 and listed in ``LoadReport.warnings``; the
counter is only read by BatchNorm when ``momentum=None`` and torchvision ResNets
use ``momentum=0.1``, so it never affects outputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import torch
import torchvision

from pretrain.resnet_trunk import (ARCHS, NBT, STEMS, build_resnet, expected_shapes, failure_message, infer_layout,
                                   verify)

__all__ = [
    "BackboneLoadError",
    "LoadReport",
    "read_backbone_state_dict",
    "load_backbone",
    "sha256_file",
    "save_backbone",
    "sidecar_path",
]

_TRUNK_RE = re.compile(r"^(conv1|bn1|layer[1-4])\.")



class BackboneLoadError(RuntimeError):
    """A checkpoint could not be read, recognised or verified as a ResNet trunk."""


@dataclasses.dataclass
class LoadReport:
    """What was loaded from where. ``to_dict()`` is stored in downstream run records."""

    source: str                      # file path, or "random"
    format: str                      # export | suite | moco | mmselfsup | torchvision | random
    arch: str
    stem: str
    sha256: str | None               # of the checkpoint file (None for "random")
    n_loaded: int                    # trunk tensors taken from the file
    loaded_keys: list[str]           # their torchvision names
    ignored: dict[str, int]          # group -> number of entries not used
    warnings: list[str]
    n_expected: int = 0              # trunk entries of build_resnet(arch, stem)
    filled_keys: list[str] = dataclasses.field(default_factory=list)  # num_batches_tracked filled with 0
    prefix: str = ""                 # source key prefix mapped to "" (e.g. "module.encoder_q.")
    container: str | None = None     # top-level key holding the state dict ("state_dict", "model") or None
    top_level_keys: list[str] = dataclasses.field(default_factory=list)
    examples: list[list[str]] = dataclasses.field(default_factory=list)  # [source key, torchvision key]
    arch_source: str = ""            # argument | sidecar | checkpoint | inferred
    stem_source: str = ""            # argument | sidecar | inferred | default
    sidecar: dict[str, Any] | None = None
    seed: int | None = None          # only for format == "random"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy (sidecar values are passed through as read from JSON)."""
        d = dataclasses.asdict(self)
        d["examples"] = [list(e) for e in self.examples]
        return json.loads(json.dumps(d, default=str))

    def summary(self) -> str:
        """Human-readable multi-line description."""
        lines = [
            f"source   : {self.source}",
            f"format   : {self.format}"
            + (f" (container {self.container!r}, prefix {self.prefix!r} -> '')" if self.format != "random" else ""),
            f"arch     : {self.arch} ({self.arch_source})",
            f"stem     : {self.stem} ({self.stem_source})",
            f"sha256   : {self.sha256}",
        ]
        if self.format == "random":
            lines.append(f"seed     : {self.seed}")
        else:
            lines.append(f"loaded   : {self.n_loaded} of {self.n_expected} trunk tensors from the file"
                         + (f", {len(self.filled_keys)} num_batches_tracked filled with 0" if self.filled_keys else ""))
        ign = ", ".join(f"{g}={n}" for g, n in sorted(self.ignored.items())) or "none"
        lines.append(f"ignored  : {ign}")
        if self.top_level_keys:
            lines.append(f"top-level: {', '.join(self.top_level_keys)}")
        if self.sidecar is not None:
            keys = ("method", "run_id", "seed", "iterations", "epochs", "dataset", "commit")
            info = ", ".join(f"{k}={self.sidecar[k]}" for k in keys if k in self.sidecar)
            lines.append(f"sidecar  : {info or '(present)'}")
        if self.examples:
            lines.append("mapping  :")
            lines.extend(f"  {s} -> {t}" for s, t in self.examples)
        if self.warnings:
            lines.append("warnings :")
            lines.extend(f"  - {w}" for w in self.warnings)
        else:
            lines.append("warnings : none")
        return "\n".join(lines)


# --------------------------------------------------------------------------- files


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: str | os.PathLike) -> Path:
    """``backbone.pth`` -> ``backbone.json``."""
    return Path(path).with_suffix(".json")


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    sc = sidecar_path(path)
    if sc == path or not sc.is_file():
        return None
    try:
        data = json.loads(sc.read_text())
    except (OSError, ValueError) as e:
        raise BackboneLoadError(f"{path}: sidecar {sc} is not readable JSON: {e}") from e
    if not isinstance(data, dict):
        raise BackboneLoadError(f"{path}: sidecar {sc} is not a JSON object")
    return data


def _torch_load(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BackboneLoadError(
            f"{path}: refused to load with weights_only=True (the file holds objects other than tensors and "
            f"plain containers/scalars): {first}. Re-export the backbone (save_backbone) or save plain types."
        ) from e
    except Exception as e:  # truncated / not a torch file / ...
        raise BackboneLoadError(f"{path}: torch.load failed: {type(e).__name__}: {e}") from e


# --------------------------------------------------------------------------- detection


def _group(key: str) -> str:
    g = key.split(".", 1)[0]
    return "queue" if g.startswith("queue") else g


def _detect(obj: Any, path: Path) -> tuple[str, dict[str, Any], str | None, str, list[str]]:
    """(format, state dict, container, source prefix incl. any 'module.', top-level keys)."""
    if not isinstance(obj, Mapping):
        raise BackboneLoadError(f"{path}: expected a dict-like checkpoint, got {type(obj).__name__}")
    top_keys = [str(k) for k in obj.keys()]
    container = None
    sd: Mapping = obj
    if not any(isinstance(k, str) and _TRUNK_RE.match(k.removeprefix("module.")) for k in obj):
        for c in ("state_dict", "model"):
            if isinstance(obj.get(c), Mapping):
                container, sd = c, obj[c]
                break
    bad = [k for k in sd if not isinstance(k, str)]
    if bad:
        raise BackboneLoadError(f"{path}: state dict has non-string keys, e.g. {bad[:3]!r}")
    sd = dict(sd)
    keys = list(sd)
    wrapper = "module." if keys and all(k.startswith("module.") for k in keys) else ""
    stripped = [k[len(wrapper):] for k in keys]

    def has(prefix: str) -> bool:
        return any(k.startswith(prefix) for k in stripped)

    if has("encoder_q."):
        fmt, inner = "moco", "encoder_q."
    elif has("backbone."):
        suite = container == "state_dict" and has("momentum_backbone.") and has("momentum_neck.") and "meta" in obj
        fmt, inner = ("suite" if suite else "mmselfsup"), "backbone."
    elif any(_TRUNK_RE.match(k) for k in stripped):
        inner = ""
        export = (
            container is None
            and not wrapper
            and all(_TRUNK_RE.match(k) for k in stripped)
            and all(isinstance(v, torch.Tensor) for v in sd.values())
        )
        fmt = "export" if export else "torchvision"
    else:
        prefixes = Counter(k.split(".", 1)[0] for k in keys)
        raise BackboneLoadError(
            f"{path}: unrecognised checkpoint layout (no ResNet trunk under '', 'backbone.', 'encoder_q.' or "
            f"'module.'-prefixed variants). Top-level keys: {top_keys[:15]}; "
            f"state-dict key groups: {dict(prefixes.most_common(15))}"
        )
    other_top = [k for k in top_keys if k != container] if container else []
    return fmt, sd, container, wrapper + inner, other_top


# --------------------------------------------------------------------------- public loaders


def read_backbone_state_dict(
    path: str | os.PathLike, arch: str | None = None, stem: str | None = None
) -> tuple[dict[str, torch.Tensor], LoadReport]:
    """Read ``path``, detect its layout, map it to torchvision trunk names and verify it.

    ``arch``/``stem`` default to the sidecar's values, then (arch only) the
    checkpoint's own ``arch`` field, then what the tensors show. Returns a
    state_dict that ``build_resnet(report.arch, report.stem)`` loads with
    ``strict=True`` (in the model's key order) and the :class:`LoadReport`.
    Raises :class:`BackboneLoadError` naming the file on any problem.
    """
    path = Path(path)
    if not path.is_file():
        raise BackboneLoadError(f"{path}: no such checkpoint file")
    for name, val, allowed in (("arch", arch, ARCHS), ("stem", stem, STEMS)):
        if val is not None and val not in allowed:
            raise BackboneLoadError(f"{path}: unknown {name} {val!r}; expected one of {', '.join(allowed)}")
    warnings: list[str] = []
    digest = sha256_file(path)
    sidecar = _read_sidecar(path)
    if sidecar is not None and sidecar.get("sha256") is not None and sidecar["sha256"] != digest:
        raise BackboneLoadError(
            f"{path}: sha256 mismatch with sidecar {sidecar_path(path)}: file is {digest}, "
            f"sidecar says {sidecar['sha256']} (file modified or sidecar belongs to another file)"
        )
    if sidecar is not None and sidecar.get("sha256") is None:
        warnings.append(f"sidecar {sidecar_path(path).name} has no sha256; file integrity not checked")

    obj = _torch_load(path)
    fmt, sd, container, prefix, top_keys = _detect(obj, path)
    if sidecar is not None and fmt != "export":
        warnings.append(f"sidecar {sidecar_path(path).name} found next to a {fmt!r} checkpoint")
    if fmt == "export" and sidecar is None:
        warnings.append("no JSON sidecar; provenance unknown, arch/stem taken from arguments or tensors")

    trunk: dict[str, Any] = {}
    source_of: dict[str, str] = {}
    ignored: Counter = Counter()
    wrapper = "module." if prefix.startswith("module.") else ""
    for k, v in sd.items():
        if k.startswith(prefix):
            name = k[len(prefix):]
            if name.startswith("fc.") or name == "fc":
                ignored["fc"] += 1
            else:
                trunk[name] = v
                source_of[name] = k
        else:
            ignored[_group(k[len(wrapper):])] += 1
    if not trunk:
        raise BackboneLoadError(f"{path}: format {fmt!r} detected but no trunk tensors under prefix {prefix!r}")

    inf_arch, inf_stem, desc = infer_layout(trunk)
    ckpt_arch = obj.get("arch") if isinstance(obj, Mapping) else None
    if arch is not None:
        arch_source = "argument"
    elif sidecar is not None and sidecar.get("arch") in ARCHS:
        arch, arch_source = sidecar["arch"], "sidecar"
    elif isinstance(ckpt_arch, str) and ckpt_arch in ARCHS:
        arch, arch_source = ckpt_arch, "checkpoint"
    elif inf_arch is not None:
        arch, arch_source = inf_arch, "inferred"
    else:
        raise BackboneLoadError(
            f"{path}: cannot infer arch (format {fmt!r}; trunk has {desc}); pass arch= / --arch "
            f"(one of {', '.join(ARCHS)})"
        )
    if sidecar is not None and sidecar.get("arch") not in (None, arch):
        warnings.append(f"arch {arch!r} overrides sidecar arch {sidecar.get('arch')!r}")
    if stem is not None:
        stem_source = "argument"
    elif sidecar is not None and sidecar.get("stem") in STEMS:
        stem, stem_source = sidecar["stem"], "sidecar"
    elif inf_stem is not None:
        stem, stem_source = inf_stem, "inferred"
    else:
        stem, stem_source = "standard", "default"
    if sidecar is not None and sidecar.get("stem") not in (None, stem):
        warnings.append(f"stem {stem!r} overrides sidecar stem {sidecar.get('stem')!r}")

    missing, missing_nbt, mismatched, unexpected = verify(trunk, arch, stem)
    if missing or mismatched or unexpected:
        raise BackboneLoadError(failure_message(
            path, fmt, arch, stem, trunk, missing, mismatched, unexpected, arch_source, stem_source, prefix))

    expected = expected_shapes(arch, stem)
    out: dict[str, torch.Tensor] = {}
    for k in expected:
        out[k] = trunk[k] if k in trunk else torch.tensor(0, dtype=torch.long)
    if missing_nbt:
        warnings.append(
            f"{len(missing_nbt)} BatchNorm num_batches_tracked buffers absent from the checkpoint, filled with 0 "
            "(only read when BN momentum=None; torchvision ResNets use momentum=0.1, so outputs are unaffected)"
        )
    odd = sorted({str(v.dtype) for k, v in trunk.items() if not k.endswith(NBT) and v.dtype != torch.float32})
    if odd:
        warnings.append(f"trunk tensors stored as {', '.join(odd)}; loading casts them to the model's float32")

    loaded = [k for k in expected if k in trunk]
    picks = [loaded[0]]
    picks += [k for k in loaded if k.startswith("layer1.0.")][:1]
    picks += [k for k in loaded if ".downsample." in k][:1]
    picks.append(loaded[-1])
    examples = [[source_of[k], k] for k in dict.fromkeys(picks)]

    report = LoadReport(
        source=str(path), format=fmt, arch=arch, stem=stem, sha256=digest,
        n_loaded=len(loaded), loaded_keys=loaded, ignored=dict(sorted(ignored.items())), warnings=warnings,
        n_expected=len(expected), filled_keys=missing_nbt, prefix=prefix, container=container,
        top_level_keys=top_keys, examples=examples, arch_source=arch_source, stem_source=stem_source,
        sidecar=sidecar,
    )
    return out, report


def load_backbone(
    path: str | os.PathLike, arch: str | None = None, stem: str | None = None, seed: int = 0
) -> tuple[torchvision.models.ResNet, LoadReport]:
    """``build_resnet`` + verified weights, loaded with ``strict=True``.

    ``path == "random"`` (the literal string) gives a random init seeded with
    ``seed`` (``arch`` required, ``stem`` defaults to "standard"); the global
    RNG state is left untouched. Otherwise the model is built without drawing
    from any RNG and every parameter/buffer comes from the checkpoint.
    The model is returned in train mode on the CPU.
    """
    if isinstance(path, str) and path == "random":
        if arch not in ARCHS:
            raise BackboneLoadError(f"random init needs arch= one of {', '.join(ARCHS)} (got {arch!r})")
        stem_source = "argument" if stem else "default"
        stem = stem or "standard"
        if stem not in STEMS:
            raise BackboneLoadError(f"random init: unknown stem {stem!r}; expected one of {', '.join(STEMS)}")
        # CPU generator only: torch.manual_seed would also reseed CUDA generators outside the fork
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(int(seed))
            model = build_resnet(arch, stem)
        n = len(model.state_dict())
        report = LoadReport(
            source="random", format="random", arch=arch, stem=stem, sha256=None, n_loaded=0, loaded_keys=[],
            ignored={}, warnings=[], n_expected=n, arch_source="argument", stem_source=stem_source,
            seed=int(seed),
        )
        return model, report

    state_dict, report = read_backbone_state_dict(path, arch=arch, stem=stem)
    with torch.device("meta"):
        model = build_resnet(report.arch, report.stem)
    model = model.to_empty(device="cpu")  # uninitialised storage, fully overwritten by the strict load below
    model.load_state_dict(state_dict, strict=True)
    return model, report


def save_backbone(
    state_dict: Mapping[str, torch.Tensor],
    out_path: str | os.PathLike,
    sidecar: Mapping[str, Any],
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write an ``export`` checkpoint: tensor-only torchvision-named trunk + ``<stem>.json`` sidecar.

    The state_dict is verified first (against ``sidecar["arch"]``/``["stem"]``
    when given, else the inferred layout, which is then written into the
    sidecar). Tensors are detached, cloned to the CPU and saved with
    ``torch.save``; the sidecar gets ``sha256`` of the written file. Refuses to
    replace an existing ``out_path`` or sidecar unless ``overwrite=True``.
    Returns the sidecar as written.
    """
    out_path = Path(out_path)
    sc_path = sidecar_path(out_path)
    if sc_path == out_path:
        raise BackboneLoadError(f"{out_path}: the backbone file must not end in .json")
    if not overwrite:
        for p in (out_path, sc_path):
            if p.exists():
                raise BackboneLoadError(f"{p}: already exists; refusing to overwrite (pass overwrite=True)")
    bad = [k for k, v in state_dict.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise BackboneLoadError(f"{out_path}: state_dict must map str -> Tensor; offending keys {bad[:5]!r}")
    fc = [k for k in state_dict if k.startswith("fc.")]
    if fc:
        raise BackboneLoadError(f"{out_path}: exported backbones hold the trunk only; drop {fc}")
    meta = dict(sidecar)
    inf_arch, inf_stem, desc = infer_layout(state_dict)
    arch = meta.get("arch") or inf_arch
    stem = meta.get("stem") or inf_stem or "standard"
    if arch not in ARCHS or stem not in STEMS:
        raise BackboneLoadError(f"{out_path}: cannot determine arch/stem (sidecar arch={meta.get('arch')!r}, "
                                f"stem={meta.get('stem')!r}; tensors show {desc})")
    trunk = dict(state_dict)
    missing, _, mismatched, unexpected = verify(trunk, arch, stem)
    if missing or mismatched or unexpected:
        raise BackboneLoadError(failure_message(
            out_path, "export", arch, stem, trunk, missing, mismatched, unexpected,
            "sidecar" if meta.get("arch") else "inferred", "sidecar" if meta.get("stem") else "inferred", ""))
    meta["arch"], meta["stem"] = arch, stem
    meta.pop("sha256", None)
    json.dumps(meta)  # fail before writing anything if the sidecar is not JSON-serialisable

    tensors = {k: v.detach().to("cpu").clone() for k, v in state_dict.items()}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    try:
        torch.save(tensors, tmp)
        meta["sha256"] = sha256_file(tmp)
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    fd, tmp = tempfile.mkstemp(prefix=sc_path.name + ".", suffix=".tmp", dir=sc_path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(meta, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, sc_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return meta
