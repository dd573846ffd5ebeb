"""What the MMDetection and MMSegmentation runners share (`downstream.detection`, `downstream.segmentation`).

The pieces, in the order a run uses them:

* `remap_data_roots` / `check_datasets` / `dataset_classes`: `--data-root`, clear errors for a missing dataset
  (where it looked, the expected layout) and for `num_classes` that disagrees with the dataset's classes.
* `resolve_backbone`: any checkpoint our loader reads (export, suite, moco, mmselfsup, torchvision) or `random` ->
  a verified torchvision-key trunk file `init_backbone.pth` in the run dir, plus the reference tensors.
* `wire_init`: points the `Pretrained` init_cfg of every part that owns trunk weights (the backbone, and for C4
  detectors `roi_head.shared_head`, which owns `layer4.*`) at that file, and refuses any other pretrained init
  left in the model config (a base config's ImageNet/caffe/v1c weights).
* `verify_loaded` (run by `BackboneLoadCheckHook` after mmengine's init, before the first iteration): every
  backbone / shared-head tensor must equal the checkpoint's. mmengine loads `Pretrained` with `strict=False`, so
  a wrong prefix or a missing part would otherwise only log a warning and train from random weights.
* `PlainCheckpointHook` (from `pretrain.plain_checkpoint`, shared with pretraining and classification): checkpoints
  that `torch.load(weights_only=True)` reads (resume).
* `run`: the CLI body shared by both runners (records, skip/resume/force, metric names of contracts.md §3).

Downstream imports nothing from `pretrain` except `pretrain.checkpoints` (contracts.md §4).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from pretrain.checkpoints import BackboneLoadError, LoadReport, load_backbone, read_backbone_state_dict
from common.curves import CurvesCSV, number as _num
from common.launch import init_distributed, rank_zero_decides, wrap_for_device
from common.records import (RunRecorder, add_common_args, batch_fields, config_sha256, new_record, parse_rows,
                            portable_path, portable_report, prepare_run_dir)
from pretrain.datasets.fingerprint import dataset_inputs

INIT_FILE = "init_backbone.pth"
VERIFY_FILE = "load_verification.json"
METHODS = ("leoclr", "mocov2", "random", "supervised", "external")


class DatasetError(RuntimeError):
    """The dataset the config points at is missing or disagrees with the config."""


class LoadVerificationError(RuntimeError):
    """After initialisation the model's trunk tensors are not the checkpoint's."""


# ---------------------------------------------------------------------------------------------- config walking
def _walk(node, fn: Callable[[Any, Any, Any], None]) -> None:
    """Calls fn(container, key, value) for every item of nested dicts/lists."""
    if isinstance(node, dict):
        for key in list(node.keys()):
            fn(node, key, node[key])
            _walk(node[key], fn)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            fn(node, index, value)
            _walk(value, fn)


def _get(cfg, dotted: str):
    node = cfg
    for part in dotted.split("."):
        if node is None or part not in node:
            return None
        node = node[part]
    return node


def _moved_path(path: str, data_root: str) -> str:
    """`data/VOCdevkit/VOC2012` -> `R/VOCdevkit/VOC2012`: what follows the leading `data/` is kept; a path
    without it keeps its last component (`/mnt/x/scenes-128/` -> `R/scenes-128/`)."""
    trailing = "/" if path.endswith("/") else ""
    clean = os.path.normpath(path)
    parts = Path(clean).parts
    if len(parts) > 1 and parts[0] == "data":
        rel = os.path.join(*parts[1:])
    else:
        rel = Path(clean).name
    return os.path.join(data_root, rel) + trailing


def remap_data_roots(cfg, data_root: str) -> dict[str, str]:
    """`--data-root R`: every `data_root` of the config (datasets, the top-level variable) and every evaluator
    `ann_file` below an old root moves under R, keeping the dataset folder name (`scenes-128`, `VOCdevkit`,
    `coco`). Returns {old: new}."""
    olds: dict[str, str] = {}

    def collect(container, key, value):
        if key == "data_root" and isinstance(value, str):
            olds[value] = _moved_path(value, data_root)

    _walk(cfg._cfg_dict if hasattr(cfg, "_cfg_dict") else cfg, collect)
    # longest first, so `data/VOCdevkit/VOC2012` is not rewritten through `data/VOCdevkit/`
    ordered = sorted(olds.items(), key=lambda kv: -len(kv[0]))

    def replace(container, key, value):
        if key == "data_root" and isinstance(value, str):
            container[key] = olds[value]
        elif key == "ann_file" and isinstance(value, str):
            for old, new in ordered:
                if value.startswith(old):
                    container[key] = new + value[len(old):]
                    break

    _walk(cfg._cfg_dict if hasattr(cfg, "_cfg_dict") else cfg, replace)
    return olds


def iter_datasets(cfg, splits=("train", "val", "test")) -> Iterable[tuple[str, dict]]:
    """(split, dataset cfg) of the leaf datasets of each dataloader (through Concat/Repeat/ClassBalanced)."""
    def leaves(ds):
        if ds is None:
            return
        if "datasets" in ds:
            for child in ds["datasets"]:
                yield from leaves(child)
        elif "dataset" in ds:
            yield from leaves(ds["dataset"])
        else:
            yield ds

    for split in splits:
        loader = cfg.get(f"{split}_dataloader")
        if loader:
            for ds in leaves(loader.get("dataset")):
                yield split, ds


def _join(root: str | None, rel: str | None) -> str | None:
    if not rel:
        return None
    if root is None or os.path.isabs(rel) or (root and rel.startswith(root)):
        return rel
    return os.path.join(root, rel)


def check_datasets(cfg, layouts: dict[str, str], splits=("train", "val")) -> list[str]:
    """Raise `DatasetError` naming every path that is missing, with the expected layout. Returns the roots."""
    missing: list[str] = []
    roots: list[str] = []
    types: list[str] = []
    for split, ds in iter_datasets(cfg, splits):
        root = ds.get("data_root")
        types.append(str(ds.get("type")))
        if root is not None and root not in roots:
            roots.append(root)
        if root is not None and not os.path.isdir(root):
            missing.append(f"{split}: data_root {root!r} (absolute: {os.path.abspath(root)}) is not a directory")
            continue
        ann = ds.get("ann_file")
        path = _join(root, ann)
        if path and not os.path.exists(path):
            missing.append(f"{split}: ann_file {path!r} not found")
        for name, rel in sorted((ds.get("data_prefix") or {}).items()):
            path = _join(root, rel)
            if path and not os.path.isdir(path):
                missing.append(f"{split}: data_prefix.{name} {path!r} is not a directory")
    for split in splits:
        evaluator = cfg.get(f"{split}_evaluator")
        for ev in (evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]):
            if isinstance(ev, dict) and isinstance(ev.get("ann_file"), str) and not os.path.exists(ev["ann_file"]):
                missing.append(f"{split}_evaluator ({ev.get('type')}): ann_file {ev['ann_file']!r} not found")
    if missing:
        hints = [f"  {t}: {layouts[t]}" for t in dict.fromkeys(types) if t in layouts]
        raise DatasetError(
            "dataset not found:\n  - " + "\n  - ".join(missing)
            + ("\nexpected layout:\n" + "\n".join(hints) if hints else "")
            + "\nPass --data-root R (the folder holding the dataset folder named above) or generate/download it "
              "(REPRODUCE.md).")
    return roots


def dataset_classes(ds: dict, registry) -> tuple[str, ...] | None:
    """Classes a dataset cfg will use: its `metainfo.classes`, else its class's `METAINFO['classes']`."""
    meta = ds.get("metainfo") or {}
    if meta.get("classes"):
        return tuple(meta["classes"])
    cls = registry.get(ds.get("type")) if isinstance(ds.get("type"), str) else ds.get("type")
    if cls is not None and getattr(cls, "METAINFO", None) and cls.METAINFO.get("classes"):
        return tuple(cls.METAINFO["classes"])
    return None


def check_num_classes(cfg, registry, extra_note: str = "") -> tuple[str, ...]:
    """Every `num_classes` in `cfg.model` must equal the number of classes of each train/val dataset; a COCO-style
    json (small enough to read) must hold every class name the config asks for."""
    classes_by_split = {}
    for split, ds in iter_datasets(cfg, ("train", "val")):
        classes = dataset_classes(ds, registry)
        if classes is not None:
            classes_by_split.setdefault(split, classes)
        ann = _join(ds.get("data_root"), ds.get("ann_file"))
        if classes and ann and ann.endswith(".json") and os.path.isfile(ann) and os.path.getsize(ann) < 64 << 20:
            with open(ann) as handle:
                names = {c.get("name") for c in json.load(handle).get("categories", [])}
            absent = [c for c in classes if c not in names]
            if absent:
                raise DatasetError(f"{ann}: the config's classes {absent} are not categories of this annotation "
                                   f"file (it has {sorted(n for n in names if n)}); set metainfo.classes to match")
    if not classes_by_split:
        raise DatasetError("could not determine the dataset classes from the config (no metainfo.classes and the "
                           "dataset type has no METAINFO)")
    distinct = set(classes_by_split.values())
    if len(distinct) > 1:
        raise DatasetError(f"train and val datasets have different classes: {classes_by_split}")
    classes = next(iter(distinct))
    found: list[tuple[str, int]] = []

    def visit(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "num_classes" and isinstance(value, int):
                    found.append((f"{prefix}{key}", value))
                else:
                    visit(value, f"{prefix}{key}.")
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                visit(value, f"{prefix}{index}.")

    visit(cfg.model, "model.")
    wrong = [(name, n) for name, n in found if n != len(classes)]
    if wrong:
        raise DatasetError(
            "num_classes of the config does not match the dataset: "
            + ", ".join(f"{name}={n}" for name, n in wrong)
            + f", but the dataset has {len(classes)} classes {list(classes)}{extra_note}")
    return classes


# ---------------------------------------------------------------------------------------------- checkpoint
@dataclass
class ResolvedBackbone:
    reference: dict[str, torch.Tensor]   # torchvision-named trunk, the truth the model is verified against
    report: LoadReport
    method: str
    backbone_id: str                     # run id part: backbone run_id | random | file stem
    source: str                          # as given on the command line ("random" or a path)
    sha256: str | None
    init_file: str | None = None
    extra: dict = field(default_factory=dict)


def resolve_backbone(spec: str, arch: str, seed: int, method: str | None = None) -> ResolvedBackbone:
    """`spec` = 'random' (seeded torchvision init of `arch`) or a checkpoint in any layout our loader reads."""
    if spec == "random":
        model, report = load_backbone("random", arch=arch, seed=seed)
        reference = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return ResolvedBackbone(reference, report, "random", "random", "random", None)
    reference, report = read_backbone_state_dict(spec, arch=arch, stem="standard")
    sidecar = report.sidecar or {}
    if method is None:
        method = sidecar.get("method") if sidecar.get("method") in METHODS else "external"
    backbone_id = str(sidecar.get("run_id") or Path(spec).stem)
    return ResolvedBackbone(reference, report, method, backbone_id, str(spec), report.sha256)


def write_init_file(reference: dict[str, torch.Tensor], work_dir: str | os.PathLike) -> str:
    """Tensor-only trunk file (torchvision names) in the run dir, written atomically (every rank may write it)."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / INIT_FILE
    fd, tmp = tempfile.mkstemp(prefix=INIT_FILE + ".", suffix=".tmp", dir=work_dir)
    os.close(fd)
    try:
        torch.save({k: v.detach().cpu().contiguous() for k, v in reference.items()}, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return str(out)


def arch_of(cfg, part: str = "model.backbone") -> str:
    backbone = _get(cfg, part)
    if backbone is None or backbone.get("type") not in ("ResNet", "mmdet.ResNet", "mmseg.ResNet"):
        kind = None if backbone is None else backbone.get("type")
        hint = (" (ResNetV1c/V1d have a 3-conv deep stem that a torchvision-style checkpoint lacks: use "
                "type='ResNet')" if kind and "V1" in str(kind) else "")
        raise BackboneLoadError(f"{part}.type={kind!r}: our checkpoints are torchvision ResNets, the config needs "
                                f"type='ResNet'{hint}")
    for key, bad in (("deep_stem", True), ("avg_down", True)):
        if backbone.get(key) == bad:
            raise BackboneLoadError(f"{part}.{key}={bad} changes the ResNet layout away from torchvision's")
    if backbone.get("style", "pytorch") != "pytorch":
        raise BackboneLoadError(f"{part}.style={backbone.get('style')!r}: torchvision weights need style='pytorch' "
                                "(stride on the 3x3 conv)")
    return f"resnet{backbone.get('depth')}"


def wire_init(cfg, parts: list[str], init_file: str) -> None:
    """Point each part's init_cfg at `init_file` and refuse any other pretrained weights in `cfg.model`."""
    for part in parts:
        node = _get(cfg, f"model.{part}")
        if node is None:
            raise BackboneLoadError(f"model.{part} is not in the config")
        if node.get("pretrained"):
            raise BackboneLoadError(f"model.{part}.pretrained={node['pretrained']!r} must be None "
                                    "(it would override the checkpoint)")
        if node.get("style", "pytorch") != "pytorch":
            raise BackboneLoadError(f"model.{part}.style={node.get('style')!r}: torchvision weights need "
                                    "style='pytorch'")
        node["init_cfg"] = dict(type="Pretrained", checkpoint=init_file)
    leftovers = find_pretrained(cfg.model, allowed=init_file)
    if leftovers:
        raise BackboneLoadError("the model config still loads other pretrained weights: " + "; ".join(leftovers)
                                + ". Set them to None in the config (base configs' ImageNet/caffe/v1c inits "
                                  "must be removed).")


def find_pretrained(model_cfg, allowed: str | None = None) -> list[str]:
    """Every pretrained-weight source in a model config, except `Pretrained` inits of `allowed`."""
    found: list[str] = []

    def visit(node, prefix):
        if isinstance(node, dict):
            if node.get("type") == "Pretrained" and node.get("checkpoint") != allowed:
                found.append(f"{prefix.rstrip('.')}: Pretrained({node.get('checkpoint')!r})")
            for key, value in node.items():
                if key == "pretrained" and value:
                    found.append(f"{prefix}pretrained={value!r}")
                else:
                    visit(value, f"{prefix}{key}.")
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                visit(value, f"{prefix}{index}.")

    visit(model_cfg, "model.")
    return found


# ---------------------------------------------------------------------------------------------- verification
def verify_loaded(model: torch.nn.Module, reference: dict[str, torch.Tensor], parts: list[str],
                  allowed_extra: dict[str, tuple[str, ...]] | None = None) -> dict:
    """Every tensor of every part must come from `reference` (torchvision names) and equal it exactly; every
    reference tensor must land in some part. `allowed_extra[part]` lists key prefixes a part may own without the
    checkpoint (e.g. the res5 extra norm). Raises `LoadVerificationError` listing what is wrong."""
    allowed_extra = allowed_extra or {}
    model = getattr(model, "module", model)
    problems: list[str] = []
    covered: set[str] = set()
    per_part = {}
    for part in parts:
        module = model.get_submodule(part)
        state = module.state_dict()
        extra = allowed_extra.get(part, ())
        equal = not_from_ckpt = 0
        for key, value in state.items():
            if key in reference:
                covered.add(key)
                ref = reference[key]
                got = value.detach().to("cpu")
                if got.shape != ref.shape:
                    problems.append(f"{part}.{key}: shape {list(got.shape)} vs checkpoint {list(ref.shape)}")
                elif not torch.equal(got.to(ref.dtype), ref):
                    diff = (got.double() - ref.double()).abs().max().item()
                    problems.append(f"{part}.{key}: differs from the checkpoint (max |diff| {diff:.3g})")
                else:
                    equal += 1
            elif extra and key.startswith(extra):
                not_from_ckpt += 1
            else:
                problems.append(f"{part}.{key}: no tensor of that name in the checkpoint")
        per_part[part] = {"tensors": len(state), "equal": equal, "not_from_checkpoint": not_from_ckpt,
                          "allowed_extra": list(extra)}
    unused = sorted(set(reference) - covered)
    if unused:
        problems.append(f"{len(unused)} checkpoint tensors are not used by any of {parts}, e.g. {unused[:5]}")
    if problems:
        shown = problems[:15] + ([f"... and {len(problems) - 15} more"] if len(problems) > 15 else [])
        raise LoadVerificationError(
            f"backbone load verification failed ({len(problems)} problems): the model does not hold the checkpoint's "
            "weights (mmengine loads Pretrained with strict=False, so a wrong prefix or a missing part only logs a "
            "warning):\n  " + "\n  ".join(shown))
    return {"verified": True, "parts": per_part, "checkpoint_tensors": len(reference)}


# ---------------------------------------------------------------------------------------------- hooks
from mmengine.hooks import Hook  # noqa: E402

from pretrain.plain_checkpoint import PlainCheckpointHook  # noqa: E402


class BackboneLoadCheckHook(Hook):
    """Before the first iteration of a fresh run (after mmengine's init_weights), `verify_loaded`; the result goes
    to `load_verification.json`. A resumed run relies on the verification written by its first attempt."""

    priority = "VERY_HIGH"

    def __init__(self, reference, parts, allowed_extra=None, out_file=None):
        self.reference, self.parts, self.allowed_extra, self.out_file = reference, parts, allowed_extra, out_file
        self.result = None

    def before_train(self, runner) -> None:
        if runner.iter > 0:
            if self.out_file and os.path.exists(self.out_file):
                self.result = dict(json.loads(Path(self.out_file).read_text()), resumed_at=runner.iter)
            runner.logger.info(f"resumed at iteration {runner.iter}: load verification from the first attempt")
            return
        from mmengine.dist import is_main_process
        self.result = verify_loaded(runner.model, self.reference, self.parts, self.allowed_extra)
        counts = []
        for part, info in self.result["parts"].items():
            new = info["not_from_checkpoint"]
            counts.append(f"{part}: {info['equal']} equal" + (f" + {new} new {info['allowed_extra']}" if new else ""))
        runner.logger.info(f"backbone load verified: all {self.result['checkpoint_tensors']} checkpoint tensors "
                           f"are in the model unchanged ({'; '.join(counts)})")
        if self.out_file and is_main_process():
            Path(self.out_file).write_text(json.dumps(self.result, indent=2) + "\n")


class MetricsCaptureHook(Hook):
    """Keeps the last validation metrics (mmengine passes them to `after_val_epoch`)."""

    priority = "LOW"

    def __init__(self):
        self.metrics, self.step = None, None

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics:
            self.metrics = {k: (float(v) if isinstance(v, (int, float, np.floating)) else v)
                            for k, v in metrics.items()}
            self.step = runner.iter


class CurvesHook(Hook):
    """`curves.csv` in the work dir: step, epoch, loss, lr every `interval` iterations (rows beyond a resumed
    step are dropped, so the file tells one history)."""

    priority = "VERY_LOW"
    columns = ("step", "epoch", "loss", "lr")

    def __init__(self, interval=10):
        self.interval = interval

    def before_train(self, runner) -> None:
        from mmengine.dist import is_main_process
        self.curves = CurvesCSV(Path(runner.work_dir) / "curves.csv", self.columns)
        if is_main_process():
            self.curves.restart(upto_step=runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        from mmengine.dist import is_main_process
        step = runner.iter + 1
        if not is_main_process() or not (step % self.interval == 0 or step == runner.max_iters):
            return
        loss = (outputs or {}).get("loss")
        lr = next(iter(runner.optim_wrapper.get_lr().values()))[0]
        try:
            epoch = f"{step / max(1, len(runner.train_dataloader)):.4f}"
        except TypeError:
            epoch = ""
        self.curves.append({"step": step, "epoch": epoch, "loss": _num(loss), "lr": _num(lr)})


# ---------------------------------------------------------------------------------------------- the runner CLI
@dataclass
class Task:
    """What differs between detection and segmentation."""
    stage: str                                         # record stage and runs/<profile>/<stage>/
    scope: str                                         # 'mmdet' | 'mmseg'
    register: Callable[[], Any]                        # imports/registers the library's modules
    dataset_registry: Callable[[], Any]
    parts: Callable[[Any], list[str]]                  # cfg -> init parts
    allowed_extra: Callable[[Any], dict]               # cfg -> {part: key prefixes not in the checkpoint}
    translate: Callable[[dict], dict]                  # raw val metrics -> contract metrics
    layouts: dict[str, str]                            # dataset type -> expected on-disk layout
    num_classes_note: str = ""


def parse_args(task: Task, argv=None, doc: str = ""):
    parser = argparse.ArgumentParser(prog=f"python -m downstream.{task.stage}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config")
    parser.add_argument("--checkpoint", required=True,
                        help="backbone checkpoint (our export/suite checkpoint, official MoCo, mmselfsup, "
                             "torchvision) or 'random' (seeded random init)")
    parser.add_argument("--method", choices=METHODS,
                        help="record's method (default: the export sidecar's, 'random', else 'external')")
    add_common_args(parser)
    return parser.parse_args(argv)


def load_config(task: Task, args):
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    if args.data_root:
        remap_data_roots(cfg, args.data_root)
        if isinstance(cfg.get("data_root"), str):
            cfg.data_root = _moved_path(cfg.data_root, args.data_root)
    cfg.merge_from_dict(args.cfg_options)
    randomness = dict(cfg.get("randomness") or {})
    seed = args.seed if args.seed is not None else randomness.get("seed", 0)
    seed = 0 if seed is None else int(seed)
    cfg.randomness = dict(randomness, seed=seed, deterministic=randomness.get("deterministic", False))
    cfg.launcher = args.launcher
    cfg.profile = args.profile or cfg.get("profile", "smoke")
    return cfg, seed


def run(task: Task, argv=None, doc: str = "") -> int:
    args = parse_args(task, argv, doc)
    task.register()
    _, world_size = init_distributed(args.launcher)
    cfg, seed = load_config(task, args)
    wrap_for_device(cfg)
    from mmengine.dist import is_main_process
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    init_default_scope(task.scope)
    check_datasets(cfg, task.layouts)
    check_num_classes(cfg, task.dataset_registry(), task.num_classes_note)
    arch = arch_of(cfg)
    parts = task.parts(cfg)
    for part in parts[1:]:
        node = _get(cfg, f"model.{part}")
        if node.get("depth") not in (None, _get(cfg, "model.backbone.depth")):
            raise BackboneLoadError(f"model.{part}.depth={node.get('depth')} differs from the backbone's")

    resolved = resolve_backbone(args.checkpoint, arch, seed, args.method)
    cfg_hash = config_sha256(cfg)
    run_id = f"{Path(args.config).stem}--{resolved.backbone_id}-s{seed}"
    work_dir = Path(args.work_dir or os.path.join("runs", cfg.profile, task.stage, run_id))
    inputs = {"checkpoint": {"path": portable_path(resolved.source), "sha256": resolved.sha256},
              **dataset_inputs(cfg, args.data_root)}
    batch = batch_fields(cfg, world_size, args.allow_batch_mismatch)  # contracts.md §7
    # rank 0 alone decides (and with --force moves the old directory aside); every rank then follows it
    state = rank_zero_decides(prepare_run_dir, work_dir, cfg_hash, inputs, args.force)
    if state == "skip":
        print(f"{work_dir}: finished run with the same config and input hashes; skipped (--force reruns it)")
        return 0

    init_file = write_init_file(resolved.reference, work_dir)
    wire_init(cfg, parts, os.path.abspath(init_file))
    cfg.work_dir = str(work_dir)
    if args.resume == "auto":
        cfg.resume = state == "resume"
    elif args.resume == "none":
        cfg.resume = False
    else:
        cfg.resume, cfg.load_from = True, args.resume

    print(resolved.report.summary())
    runner = Runner.from_cfg(cfg)
    check_hook = BackboneLoadCheckHook(resolved.reference, parts, task.allowed_extra(cfg),
                                       str(work_dir / VERIFY_FILE))
    metrics_hook = MetricsCaptureHook()
    for hook in (PlainCheckpointHook(), check_hook, metrics_hook, CurvesHook(interval=10)):
        runner.register_hook(hook)

    record = new_record(stage=task.stage, profile=cfg.profile, run_id=run_id, config=args.config, cfg=cfg,
                        seed=seed, method=resolved.method, inputs=inputs, rows=parse_rows(args.rows))
    record["config_sha256"] = cfg_hash  # the hash before the run-dir-specific init path was wired in
    record["load_report"] = portable_report(resolved.report.to_dict())
    record.update(batch)
    with RunRecorder(work_dir, record, main_process=is_main_process()) as recorder:
        runner.register_hook(recorder.first_step_hook())
        runner.train()
        if metrics_hook.metrics is None:  # e.g. resumed after the last checkpoint but before the final val
            runner.val()
        metrics = task.translate(metrics_hook.metrics or {})
        if not is_main_process():
            return 0
        recorder.finish(metrics, curves="curves.csv", raw_metrics=metrics_hook.metrics,
                        load_verification=check_hook.result,
                        init={"path": INIT_FILE, "parts": parts, "arch": arch})
    print(f"finished: {work_dir}: " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
    return 0


def main_guard(fn: Callable[[], int]) -> int:
    """Known errors end the process with a one-paragraph message, not a traceback."""
    try:
        return fn()
    except (DatasetError, BackboneLoadError, LoadVerificationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def percent(value) -> float:
    return round(float(value) * 100.0, 2)


__all__ = ["DatasetError", "LoadVerificationError", "remap_data_roots", "check_datasets", "check_num_classes",
           "resolve_backbone", "write_init_file", "wire_init", "find_pretrained", "verify_loaded",
           "PlainCheckpointHook", "BackboneLoadCheckHook", "MetricsCaptureHook", "CurvesHook", "Task", "run",
           "main_guard", "percent"]
