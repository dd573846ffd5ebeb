"""Pretrain MoCo-v2 or LeOCLR with mmengine's Runner.

    python -m pretrain.train configs/pretrain/smoke/leoclr_r18_1xb64-100it_scenes64.py
    torchrun --nproc_per_node 8 -m pretrain.train CONFIG --launcher pytorch        # one node, 8 GPUs (or CPUs: gloo)
    srun python -m pretrain.train CONFIG --launcher slurm                           # slurm, any number of nodes

The run directory (default `runs/<profile>/pretrain/<config stem>-s<seed>`) gets the mmengine checkpoints,
logs, tensorboard scalars, `curves.csv`, `record.json` and, at the end, the exported `backbone.pth/.json`.
Rerunning the same command resumes an interrupted run and skips a finished one (same config hash).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from common.launch import init_distributed, rank_zero_decides, wrap_for_device
from common.records import (RunRecorder, add_common_args, batch_fields, config_sha256, new_record,
                           parse_rows, prepare_run_dir, sha256_file)
from pretrain.datasets.fingerprint import fingerprint_input

REGISTERING_MODULES = ("pretrain.mocov2", "pretrain.leoclr", "pretrain.data", "pretrain.hooks", "pretrain.loops",
                       "pretrain.optim")
METHODS = {"MoCoV2": "mocov2", "LeOCLR": "leoclr"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config")
    add_common_args(parser)
    parser.add_argument("--stop-on-collapse", action="store_true",
                        help="stop the run when the collapse watch flags it (pretrain/collapse.py); without it the "
                             "watch only warns and writes what it saw into the record")
    parser.add_argument("--amp", choices=["bf16", "fp16"],
                        help="mixed precision: bf16 = BF16OptimWrapper (autocast, no loss scaler, CPU or GPU); "
                             "fp16 = mmengine's AmpOptimWrapper (GPU, dynamic loss scaling)")
    return parser.parse_args(argv)


def load_config(args):
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    if args.data_root:
        cfg.merge_from_dict(_data_root_options(cfg, args.data_root))
    cfg.merge_from_dict(args.cfg_options)
    seed = cfg.randomness.seed if args.seed is None else args.seed
    cfg.merge_from_dict({"randomness.seed": seed, "model.seed": seed, "train_dataloader.dataset.seed": seed,
                         "train_dataloader.sampler.seed": seed})
    if args.amp == "bf16":
        cfg.optim_wrapper.type = "BF16OptimWrapper"
    elif args.amp == "fp16":
        cfg.optim_wrapper.type = "AmpOptimWrapper"
        cfg.optim_wrapper.dtype = "float16"
    cfg.launcher = args.launcher
    cfg.profile = args.profile or cfg.get("profile", "smoke")
    cfg.config_path = os.path.relpath(os.path.abspath(args.config))
    run_id = f"{Path(args.config).stem}-s{seed}"
    cfg.work_dir = args.work_dir or os.path.join("runs", cfg.profile, "pretrain", run_id)
    return cfg, seed, run_id


def _data_root_options(cfg, data_root: str) -> dict:
    """`--data-root R`: every dataset folder of the config (e.g. `scenes-64`, `imagenet`) is looked up under R."""
    def moved(path):
        return os.path.join(data_root, Path(path).name)

    options = {"train_dataloader.dataset.data_root": moved(cfg.train_dataloader.dataset.data_root)}
    hooks = [dict(hook, data_root=moved(hook["data_root"])) if "data_root" in hook else hook
             for hook in cfg.get("custom_hooks", [])]
    if hooks:
        options["custom_hooks"] = hooks  # a list is replaced whole by merge_from_dict
    return options


def main(argv=None) -> int:
    import importlib

    args = parse_args(argv)
    for module in REGISTERING_MODULES:
        importlib.import_module(module)
    from mmengine.dist import is_main_process
    from mmengine.runner import Runner

    from pretrain.data import check_loader_config
    from pretrain.export import ExportMetaHook, export_checkpoint, export_meta
    from pretrain.collapse import collapse_watch_hook
    from pretrain.hooks import QueuePrefillHook, TrainTimeBudgetHook

    _, world_size = init_distributed(args.launcher)
    cfg, seed, run_id = load_config(args)
    check_loader_config(cfg)
    batch = batch_fields(cfg, world_size, args.allow_batch_mismatch)
    wrap_for_device(cfg)
    work_dir = Path(cfg.work_dir)
    cfg_hash = config_sha256(cfg)
    inputs = {"dataset": fingerprint_input(cfg.train_dataloader.dataset, args.data_root)}
    # rank 0 alone decides (and with --force moves the old directory aside); every rank then follows it
    state = rank_zero_decides(prepare_run_dir, work_dir, cfg_hash, inputs, args.force)
    if state == "skip":
        print(f"{work_dir}: finished run with the same config hash; skipped (--force reruns it)")
        return 0
    if args.resume == "auto":
        cfg.resume = state == "resume"
    elif args.resume != "none":
        cfg.resume, cfg.load_from = True, args.resume

    runner = Runner.from_cfg(cfg)
    runner.register_hook(ExportMetaHook(export_meta(cfg, config_sha256=cfg_hash, seed=seed)))
    # an epoch-based run records its seconds of training iterations (`train_s`: what "≤ N min of training" is
    # judged by; wall time also holds the kNN monitor, checkpoints and the machine's other load). A config's
    # TrainTimeBudgetHook also stops on them; without one an unbounded one only measures (registered here, so the
    # config and its hash stay as they are). The hook times whole epochs, so iteration-based runs have no train_s
    timed = next((hook for hook in runner.hooks if isinstance(hook, TrainTimeBudgetHook)), None)
    if timed is None and "max_epochs" in cfg.train_cfg:
        timed = TrainTimeBudgetHook(max_train_s=math.inf)
        runner.register_hook(timed)
    # every pretraining watches for collapse / no separation (contracts v5), outside the config like the timer
    watch = collapse_watch_hook()(interval=cfg.default_hooks.get("curves", {}).get("interval", 10),
                                  stop=args.stop_on_collapse)
    runner.register_hook(watch)
    if cfg.get("queue_prefill", False):  # issue 23's ablation: real keys in the queue before step 1
        runner.register_hook(QueuePrefillHook(seed=seed + 1))
    record = new_record(stage="pretrain", profile=cfg.profile, run_id=run_id, config=cfg.config_path, cfg=cfg,
                        seed=seed, method=METHODS.get(cfg.model.type, cfg.model.type.lower()),
                        rows=parse_rows(args.rows), inputs=inputs)
    record.update(batch)
    with RunRecorder(work_dir, record, main_process=is_main_process()) as recorder:
        runner.register_hook(recorder.first_step_hook())
        runner.train()
        if not is_main_process():
            return 0
        backbone = work_dir / "backbone.pth"
        sidecar = export_checkpoint(work_dir, backbone, overwrite=True)
        knn = next((hook.last for hook in runner.hooks if type(hook).__name__ == "KNNMonitorHook"), None)
        metrics = {"knn_top1": round(knn[1], 2)} if knn else {}
        timing = {"train_s": round(timed.spent, 1)} if timed is not None else {}  # all attempts of a resumed run
        timing["collapse_watch"] = watch.verdict.to_dict() if watch.verdict else None
        # counts live beside the metrics, which are percentages (contracts.md §3)
        recorder.finish(metrics, iterations=sidecar["iterations"], epochs=sidecar["epochs"], curves="curves.csv",
                        **timing,
                        outputs={"backbone": {"path": "backbone.pth", "sha256": sha256_file(backbone)}})
    print(f"finished: {work_dir}" + (f" (kNN top-1 {knn[1]:.2f}% at step {knn[0]})" if knn else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
