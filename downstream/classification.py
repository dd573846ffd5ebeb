"""Classification protocols on a pretrained ResNet trunk through mmengine's Runner: linear evaluation (frozen
backbone), fine-tuning (semi-supervised subsets, transfer), and the pieces `downstream.knn` shares.

    python -m downstream.linear   CONFIG --checkpoint CKPT|random [--method supervised] [common flags]
    python -m downstream.finetune CONFIG --checkpoint CKPT|random [common flags]   (= downstream.semisup)
    torchrun --nproc_per_node 8 -m downstream.linear CONFIG --checkpoint CKPT --launcher pytorch

Common flags (common.records.add_common_args): --work-dir --profile --seed --data-root --resume --force
--rows table:row[,...] --launcher --cfg-options, plus --amp bf16|fp16 (GPU only).

The run directory defaults to ``runs/<profile>/<stage>/<config stem>--<backbone id>-s<seed>``, where the
stage is the config's ``stage`` (``linear``, ``semisup`` or ``transfer``) and the backbone id is the
checkpoint sidecar's ``run_id``, ``random``, or the checkpoint's file stem. It receives mmengine's logs and
checkpoints, ``curves.csv`` (step, epoch, loss, lr, top1, top5) and ``record.json`` (metrics ``top1``,
``top5`` in percent; ``backbone``: the loader's report; ``notes``: the BN-statistics policy and, if used,
the feature cache). A finished run with the same config and checkpoint hashes is skipped.

Frozen backbones (linear protocol, MoCo): the trunk has ``requires_grad=False`` and stays in eval mode, so
its BatchNorm statistics never move. Pretrained trunks keep their own statistics; a random-init trunk
(``--checkpoint random`` or a ``method: random`` export) first gets its BN running statistics re-estimated
on the training split (forward passes, no gradient; contracts.md section 2). After training the trunk is
compared with its freeze-time fingerprint and with a fresh load of its source; any difference fails the run.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
from pathlib import Path

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS, MODELS

import downstream.datasets  # noqa: F401  (registers the datasets and the sampler)
# the model, its data preprocessor and metric (registered on import) and the frozen trunk's BN re-estimation, feature
# extraction and unchanged check (FrozenBackboneHook) live in their own modules
from downstream.classifier import unwrap
from downstream.frozen_backbone import FrozenBackboneHook, extract_features, recalibrate_bn
from pretrain.checkpoints import BackboneLoadError, read_backbone_state_dict, sidecar_path
from pretrain.plain_checkpoint import PlainCheckpointHook  # noqa: F401  (registers the hook the configs name)
from pretrain.datasets.splits import held_out_split
from common.launch import init_distributed, rank_zero_decides, wrap_for_device
from common.records import (RunRecorder, add_common_args, batch_fields, config_sha256, new_record, parse_rows,
                            portable_path, portable_report, prepare_run_dir)
from pretrain.datasets.fingerprint import dataset_inputs

METHODS = ("leoclr", "mocov2", "random", "supervised", "external")
STAGES = ("linear", "semisup", "transfer", "knn")


# ================================================================================================ curves hook
VAL_COLUMNS = ("top1", "top5", "mean_per_class_acc")
CURVE_COLUMNS = ("step", "epoch", "loss", "lr", *VAL_COLUMNS)


@HOOKS.register_module()
class ClsCurvesHook(Hook):
    """``curves.csv`` in the work dir: (step, epoch, loss, lr) every ``interval`` iterations and (top1, top5)
    after each validation; on resume rows beyond the resumed step are dropped. Keeps every validation's metrics
    (``val_history``) for the best-epoch report (`report_metrics`); a resumed run reads the validations it kept
    back from the file, so it reports the same best epoch as an uninterrupted one."""

    priority = "LOW"

    def __init__(self, interval=10):
        self.interval = interval
        self.val_history: list[dict] = []

    @property
    def last_val(self) -> dict | None:
        return self.val_history[-1]["metrics"] if self.val_history else None

    def before_train(self, runner) -> None:
        self.path = Path(runner.work_dir) / "curves.csv"
        self.val_history = []
        if not is_main_process():
            return
        rows = []
        if self.path.exists():
            with open(self.path, newline="") as handle:
                rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= runner.iter]
        self.val_history = [{"epoch": int(float(row["epoch"])), "step": int(row["step"]),
                             "metrics": {k: float(row[k]) for k in VAL_COLUMNS if row.get(k)}}
                            for row in rows if row.get("top1")]
        with open(self.path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, CURVE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def _append(self, row: dict) -> None:
        if is_main_process() and hasattr(self, "path"):
            with open(self.path, "a", newline="") as handle:
                csv.DictWriter(handle, CURVE_COLUMNS).writerow(row)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not (self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner)):
            return
        lr = runner.optim_wrapper.get_lr()["lr"][0]
        per_epoch = max(1, len(runner.train_dataloader))
        self._append({"step": runner.iter + 1, "epoch": round(runner.epoch + (batch_idx + 1) / per_epoch, 4),
                      "loss": round(float(torch.as_tensor(outputs["loss"]).detach()), 6), "lr": lr})

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not metrics:
            return
        self.val_history.append({"epoch": runner.epoch, "step": runner.iter, "metrics": dict(metrics)})
        self._append({"step": runner.iter, "epoch": runner.epoch,
                      **{k: round(float(metrics[k]), 4) for k in VAL_COLUMNS if k in metrics}})


# ================================================================================================ CLI
def data_root_options(cfg, data_root: str) -> None:
    """``--data-root R``: every ``data_root`` in the config (top level, datasets, hooks, loops) becomes
    ``R/<its last folder name>`` (e.g. ``data/scenes-64`` -> ``R/scenes-64``). Edits ``cfg`` in place."""
    def moved(path):
        return os.path.join(data_root, Path(str(path)).name)

    def walk(node):
        if isinstance(node, dict):
            for key in list(node.keys()):
                if key == "data_root" and isinstance(node[key], str):
                    node[key] = moved(node[key])
                else:
                    walk(node[key])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for key in list(cfg.keys()):
        if key == "data_root" and isinstance(cfg[key], str):
            cfg[key] = moved(cfg[key])
        else:
            walk(cfg[key])


def parse_args(argv, entry: str):
    parser = argparse.ArgumentParser(prog=f"python -m downstream.{entry}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config")
    parser.add_argument("--checkpoint", required=True,
                        help="exported backbone (or any layout pretrain.checkpoints reads), or 'random'")
    parser.add_argument("--method", choices=METHODS,
                        help="method for the record when the checkpoint has no sidecar (e.g. supervised for a "
                             "torchvision ImageNet checkpoint); default 'external'")
    parser.add_argument("--amp", choices=["bf16", "fp16"], help="mixed precision (AmpOptimWrapper; GPU only)")
    add_common_args(parser)
    return parser.parse_args(argv)


def backbone_identity(checkpoint: str, arch: str, stem: str, method_arg: str | None):
    """(backbone id for the run_id, method, LoadReport dict or None, inputs) without building a model."""
    if checkpoint == "random":
        if method_arg not in (None, "random"):
            raise SystemExit(f"--checkpoint random is method 'random', not {method_arg!r}")
        return "random", "random", None, {"checkpoint": {"path": "random", "sha256": None}}
    try:
        _, report = read_backbone_state_dict(checkpoint, arch=arch, stem=stem)
    except BackboneLoadError as err:
        raise SystemExit(f"backbone check failed: {err}") from err
    sidecar = report.sidecar or {}
    if sidecar.get("method"):
        method = sidecar["method"]
        if method_arg and method_arg != method:
            raise SystemExit(f"--method {method_arg} contradicts the sidecar {sidecar_path(checkpoint)} "
                             f"(method {method!r})")
    else:
        method = method_arg or "external"
    ident = sidecar.get("run_id") or ("random" if method == "random" else Path(checkpoint).stem)
    return ident, method, portable_report(report.to_dict()), {"checkpoint": {"path": portable_path(checkpoint),
                                                            "sha256": report.sha256}}


def load_config(args, entry: str):
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    if args.data_root:
        data_root_options(cfg, args.data_root)
    cfg.merge_from_dict(args.cfg_options)
    seed = cfg.randomness.seed if args.seed is None else args.seed
    stage = cfg.get("stage")
    if stage not in STAGES:
        raise SystemExit(f"{args.config}: `stage` must be one of {STAGES}, got {stage!r}")
    checkpoint = "random" if args.checkpoint == "random" else os.path.normpath(args.checkpoint)
    options = {"randomness.seed": seed, "model.seed": seed, "model.checkpoint": checkpoint}
    for name in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if cfg.get(name) is not None:
            options[f"{name}.dataset.seed"] = seed
            if name == "train_dataloader":
                options[f"{name}.sampler.seed"] = seed
    cfg.merge_from_dict(options)
    hooks = [h.get("type") for h in cfg.get("custom_hooks", [])]
    if cfg.model.get("frozen", True) and stage != "knn" and not cfg.get("probe") and "FrozenBackboneHook" not in hooks:
        # the linear protocol's BN policy and unchanged-backbone check are not optional
        cfg.custom_hooks = [*cfg.get("custom_hooks", []), dict(type="FrozenBackboneHook")]
    if args.amp:
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper.dtype = {"bf16": "bfloat16", "fp16": "float16"}[args.amp]
    cfg.launcher = args.launcher
    cfg.profile = args.profile or cfg.get("profile", "smoke")
    cfg.config_path = os.path.relpath(os.path.abspath(args.config))
    return cfg, seed, stage, checkpoint


def run_stage(argv=None, entry: str = "linear") -> int:
    """The linear / fine-tune CLI (``entry`` only names the program and checks the config's protocol)."""
    args = parse_args(argv, entry)
    rank, world_size = init_distributed(args.launcher)
    cfg, seed, stage, checkpoint = load_config(args, entry)
    wrap_for_device(cfg)
    frozen = bool(cfg.model.get("frozen", True))
    if (entry == "knn") != (stage == "knn"):
        raise SystemExit(f"{args.config}: stage {stage!r} does not run with python -m downstream.{entry}")
    if entry == "linear" and not frozen:
        raise SystemExit(f"{args.config}: model.frozen=False is fine-tuning; use python -m downstream.finetune")
    if entry == "finetune" and frozen:
        raise SystemExit(f"{args.config}: model.frozen=True is linear evaluation; use python -m downstream.linear")
    ident, method, report, inputs = backbone_identity(checkpoint, cfg.model.arch, cfg.model.get("stem"),
                                                      args.method)
    run_id = f"{Path(args.config).stem}--{ident}-s{seed}"
    cfg.work_dir = args.work_dir or os.path.join("runs", cfg.profile, stage, run_id)
    inputs.update(dataset_inputs(cfg, args.data_root))
    subset = _subset_input(cfg)
    if subset:
        inputs["subset"] = subset
    cfg_hash = config_sha256(cfg)
    work_dir = Path(cfg.work_dir)
    main_process = rank == 0
    # the batch guard (contracts.md §7) for what trains; kNN and the probe have no training batch
    batch = batch_fields(cfg, world_size, args.allow_batch_mismatch) if entry != "knn" and not cfg.get("probe") \
        else {}
    # rank 0 alone decides (and with --force moves the old directory aside); every rank then follows it
    state = rank_zero_decides(prepare_run_dir, work_dir, cfg_hash, inputs, args.force)
    if state == "skip":
        print(f"{work_dir}: finished run with the same config and inputs; skipped (--force reruns it)")
        return 0
    if entry == "knn":
        cfg.resume = False  # one evaluation pass, nothing to resume
    elif args.resume == "auto":
        cfg.resume = state == "resume"
    elif args.resume != "none":
        cfg.resume, cfg.load_from = True, args.resume

    record = new_record(stage=stage, profile=cfg.profile, run_id=run_id, config=cfg.config_path, cfg=cfg,
                        seed=seed, method=method, inputs=inputs, rows=parse_rows(args.rows))
    probe = cfg.get("probe")
    if probe and entry != "linear":
        raise SystemExit(f"{args.config}: a `probe` config (logistic regression on frozen features) runs with "
                         "python -m downstream.linear")
    protocol = ("knn" if entry == "knn" else "logistic-probe" if probe else "linear" if frozen else "finetune")
    record.update(protocol=protocol, backbone=report, notes=[], **batch)
    if probe:
        with RunRecorder(work_dir, record, main_process) as recorder:
            record = run_probe(cfg, recorder, seed)
        print(f"finished: {work_dir}  " + "  ".join(f"{k} {v:.2f}%" for k, v in record["metrics"].items()))
        return 0
    with RunRecorder(work_dir, record, main_process) as recorder:
        from mmengine.runner import Runner

        runner = Runner.from_cfg(cfg)
        runner.register_hook(recorder.first_step_hook())
        model = unwrap(runner.model)
        record["backbone"] = portable_report(model.load_report.to_dict())
        if entry == "knn":
            metrics = runner.test()
            loop = runner.test_loop
            knn_metric = loop.evaluator.metrics[0]
            record = recorder.finish(
                {"knn_top1": round(float(metrics["knn_top1"]), 4)}, notes=[loop.bn_policy],
                knn={"k": knn_metric.k, "temperature": knn_metric.temperature},
                dataset={"bank": {"size": len(loop.bank_dataset), **_meta(loop.bank_dataset)},
                         "queries": {"size": len(loop.dataloader.dataset), **_meta(loop.dataloader.dataset)}})
        else:
            record = _train(runner, recorder, frozen)
    if main_process:
        shown = "  ".join(f"{k} {v:.2f}%" for k, v in record["metrics"].items())
        print(f"finished: {work_dir}  {shown}")
    return 0


def _meta(dataset) -> dict:
    meta = getattr(dataset, "metainfo", {}) or {}
    return {k: meta[k] for k in ("root", "split", "subset", "num_classes") if k in meta}


REPORTS = ("last", "best")


def report_metrics(history: list[dict], report: str = "last") -> tuple[dict, dict]:
    """(metrics, which) from the validations of a run (`ClsCurvesHook.val_history`, in order).

    ``report='last'``: the last validation. ``report='best'``: the validation with the highest top-1 (the first
    of equals), as MoCo's main_lincls reports ``best_acc1``; its top-5 and mean per-class accuracy come from the
    same validation. Both add ``top1_last`` (the last validation's top-1). ``which`` says what was reported."""
    if report not in REPORTS:
        raise ValueError(f"report_top1={report!r}: expected one of {REPORTS}")
    last = history[-1]
    chosen = max(history, key=lambda h: h["metrics"]["top1"]) if report == "best" else last
    metrics = {k: round(float(v), 4) for k, v in chosen["metrics"].items()
               if k in ("top1", "top5", "mean_per_class_acc")}
    metrics["top1_last"] = round(float(last["metrics"]["top1"]), 4)
    which = {"top1": f"{report} of {len(history)} validations", "epoch": chosen["epoch"],
             "last_epoch": last["epoch"]}
    return metrics, which


def _train(runner, recorder, frozen: bool) -> dict:
    runner.train()
    curves = next((h for h in runner.hooks if isinstance(h, ClsCurvesHook)), None)
    history = list(curves.val_history) if curves else []
    if not history or history[-1]["step"] != runner.iter:  # no validation after the last epoch: run one
        history.append({"epoch": runner.epoch, "step": runner.iter, "metrics": runner.val_loop.run()})
    metrics, which = report_metrics(history, runner.cfg.get("report_top1", "last"))
    frozen_hook = next((h for h in runner.hooks if isinstance(h, FrozenBackboneHook)), None)
    notes = []
    if frozen_hook is not None:
        notes.append(frozen_hook.state["bn_policy"])
        if frozen_hook.feature_cache:
            notes.append("feature cache: the frozen backbone's features were extracted once per split "
                         "(deterministic pipeline, no augmentation) and reused every epoch; a speed shortcut that "
                         "trains the same head as feeding the images")
    elif not frozen:
        notes.append("fine-tuning: the whole network is trained (BN in train mode)")
    if which["top1"].startswith("best"):
        notes.append(f"top1 = the best of the validations (epoch {which['epoch']}), as MoCo's main_lincls reports "
                     f"best_acc1; top1_last = the last validation (epoch {which['last_epoch']})")
    return recorder.finish(metrics, notes=notes, reported=which,
                           backbone_check=frozen_hook.check if frozen_hook else None,
                           curves="curves.csv", dataset=_dataset_info(runner))


# ================================================================================================ logistic probe
def run_probe(cfg, recorder, seed: int) -> dict:
    """The transfer linear probe of Kornblith et al. 2019 (`downstream.probe.fit_probe`) on a frozen trunk.

    ``cfg.probe``: ``train`` / ``test`` dataset configs and ``val`` (a dataset config, or None to hold
    ``val_holdout_percent`` % of each training class out, seeded ``val_holdout_seed``), the feature
    ``batch_size`` / ``num_workers``, ``bn_samples`` (random init only: BN statistics re-estimated on that many
    training images first, as in linear evaluation) and `fit_probe`'s ``grid`` / ``select_by`` /
    ``standardize`` / ``max_iter``. The trunk runs once per image in eval mode; its features are used as they
    come out of the global average pool (no normalisation)."""
    from mmengine.registry import DATASETS
    from mmengine.runner import set_random_seed

    from downstream.probe import fit_probe

    set_random_seed(seed)
    probe = cfg.probe
    model = MODELS.build(cfg.model)
    model.to("cuda" if torch.cuda.is_available() else "cpu")
    batch_size, workers = probe.get("batch_size", 256), probe.get("num_workers", 0)
    datasets = {name: DATASETS.build(probe[name]) for name in ("train", "val", "test") if probe.get(name)}
    recorder.first_step()  # start-up ends: model and datasets built; the work is BN, extraction and the fit
    if model.is_random_init:
        n = recalibrate_bn(model.backbone, model.data_preprocessor, datasets["train"], batch_size,
                           probe.get("bn_samples"), workers)
        bn_policy = (f"random init: BN running statistics re-estimated on the training split ({n} images, forward "
                     f"passes, no gradient) before extracting features")
    else:
        bn_policy = "pretrained backbone: BN running statistics kept from the checkpoint"
    features = {name: extract_features(model, dataset, batch_size, workers) for name, dataset in datasets.items()}
    if "val" not in features:
        percent, holdout_seed = probe.get("val_holdout_percent", 10), probe.get("val_holdout_seed", 0)
        train_x, train_y = features.pop("train")
        keep, held = (torch.as_tensor(i) for i in held_out_split(train_y.tolist(), percent, holdout_seed))
        features["train"] = (train_x[keep], train_y[keep])
        features["val"] = (train_x[held], train_y[held])
        val_source = f"{percent} % of each training class held out (seed {holdout_seed})"
    else:
        val_source = "the dataset's validation split"
    result = fit_probe(*features["train"], *features["val"], *features["test"], grid=probe.get("grid", "kornblith"),
                       select_by=probe.get("select_by", "top1"), standardize=probe.get("standardize", False),
                       max_iter=probe.get("max_iter", 1000), seed=seed)
    metrics = {k: round(result[k], 4) for k in ("top1", "mean_per_class_acc")}
    notes = [bn_policy,
             f"logistic probe (Kornblith et al. 2019): L2-regularised multinomial logistic regression (L-BFGS) on "
             f"frozen features, C = {result['C']:.4g} chosen by validation {result['select_by']} over "
             f"{result['grid_size']} values (validation: {val_source}), refitted on train + val, scored on test"]
    if result["not_converged"]:
        notes.append(f"L-BFGS reached max_iter={result['max_iter']} at C = {result['not_converged']}")
    meta = {name: {"size": len(dataset), **_meta(dataset)} for name, dataset in datasets.items()}
    return recorder.finish(metrics, notes=notes, probe=result, dataset=meta)


def _subset_input(cfg) -> dict | None:
    """The labelled subset as an input of the record: file path + sha256, or the generated list's sha256."""
    if cfg.get("train_dataloader") is None:
        return None
    dataset = cfg.train_dataloader.dataset
    if dataset.get("subset_file"):
        path = Path(dataset.subset_file)
        path = path if path.is_absolute() else Path(dataset.data_root) / path
        from common.records import sha256_file
        return {"path": portable_path(path), "sha256": sha256_file(path) if path.is_file() else None}
    if dataset.get("subset_percent"):
        from downstream.subsets import subset_lines
        try:
            lines = subset_lines(dataset.data_root, dataset.get("split", "train"), dataset.subset_percent,
                                 dataset.get("subset_seed", 0))
        except FileNotFoundError:
            return None  # the Runner raises the dataset error inside the record
        text = "\n".join(lines) + "\n"
        where = f"{portable_path(dataset.data_root)}/{dataset.get('split', 'train')}"
        return {"path": f"generated: {dataset.subset_percent}% of {where}"
                        f" (seed {dataset.get('subset_seed', 0)})",
                "sha256": hashlib.sha256(text.encode()).hexdigest(), "n_images": len(lines)}
    return None


def _dataset_info(runner) -> dict:
    return {name: {"size": len(loop.dataloader.dataset), **_meta(loop.dataloader.dataset)}
            for name, loop in (("train", runner.train_loop), ("val", runner.val_loop))}


def main(argv=None) -> int:
    return run_stage(argv, "linear")


if __name__ == "__main__":
    sys.exit(main())
