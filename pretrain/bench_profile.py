"""`python -m pretrain.bench --profile cifar10-gpu`: the training step of a profile's own configs, in parts.

Per method, images/s of the model-only step (pre-made views: preprocessor, forward, backward, SGD, EMA, queue —
`model.train_step`, what the Runner calls), of the views alone (`BatchedViews` on the device) and of the full
step (views + step), and their ratios: full / model-only (what the views cost) and LeOCLR / MoCo-v2 time per
image (issue 21's goal: ≤ 1.30). Measured in rounds, methods and parts interleaved (A B A B …), each figure the
median over rounds, so a load that drifts biases none. Also the kNN monitor's time (bank and query features
through the backbone, then the weighted vote; its bank stays fp32) and, on a GPU, a `torch.profiler` table of
the top 15 ops of a few full steps; on the CPU the views' µs per sample, for both photometric modes.
Images are random uint8 at the profile's size (speed does not depend on content); the views use the counter
generator unless `--generator numpy`. `--compile` sets the model's `compile=True` switch; `--json` writes
the figures after every measurement.
"""
from __future__ import annotations

import importlib
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

PROFILE_CONFIGS = {
    "cifar10-gpu": {m: f"configs/pretrain/cifar10/{m}_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py"
                    for m in ("mocov2", "leoclr")},
}
REGISTERING_MODULES = ("pretrain.mocov2", "pretrain.leoclr", "pretrain.data", "pretrain.hooks", "pretrain.optim",
                       "pretrain.datasets.in_memory")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _build(path: str, device: torch.device, amp: str | None, compile_model: bool, generator: str, photometric: str):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS

    from pretrain.tensor_views import BatchedViews

    for module in REGISTERING_MODULES:
        importlib.import_module(module)
    cfg = Config.fromfile(path)
    # the model applies the config's channels_last itself, and `compile` (in place) when asked
    model = MODELS.build(dict(cfg.model, compile=compile_model or cfg.model.get("compile", False))).to(device)
    # the config's bf16 (an AmpOptimWrapper with dtype bfloat16 in the 2-minute configs) runs as BF16OptimWrapper,
    # autocast without a loss scaler, as `pretrain.train --amp bf16` and the study's configs do
    bf16 = amp == "bf16" or (amp is None and cfg.optim_wrapper.get("dtype") in ("bfloat16", torch.bfloat16))
    wrapper = {key: value for key, value in cfg.optim_wrapper.items() if key not in ("type", "dtype", "loss_scale")}
    optim_wrapper = build_optim_wrapper(model, dict(wrapper, type="BF16OptimWrapper" if bf16 else "OptimWrapper"))
    data = cfg.train_dataloader.dataset
    views = BatchedViews(data.views, data.size, data.crop_scale, original_mode=data.get("original_mode", "resize"),
                         augment=data.get("augment"), generator=generator, photometric=photometric)
    return cfg, model.train(), optim_wrapper, views, "bf16" if bf16 else "fp32"


def run(args) -> dict:
    from pretrain.counter_rng import sample_keys
    from pretrain.knn import weighted_knn_top1

    device = torch.device(args.device)
    configs = PROFILE_CONFIGS[args.profile]
    methods = args.methods.split(",")
    built = {m: _build(configs[m], device, args.amp, args.compile, args.generator, args.photometric) for m in methods}
    batch = args.batch or built[methods[0]][0].train_dataloader.batch_size
    size = built[methods[0]][0].train_dataloader.dataset.size
    pool = torch.randint(0, 256, (max(4 * batch, 2048), 3, 32, 32), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 10, (batch,), device=device)
    report = {"profile": args.profile, "device": str(device), "amp": built[methods[0]][4], "batch": batch, "size": size,
              "compile": args.compile, "generator": args.generator, "photometric": args.photometric,
              "torch": torch.__version__, "rounds": {}, "configs": configs}

    def save():
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1, default=str))

    def batch_views(method, step):
        index = torch.randint(0, len(pool), (batch,), device=device)
        seeds = sample_keys(0, step, index) if args.generator == "counter" else [int(i) + step for i in index]
        return built[method][3](pool[index], seeds)

    def model_step(method, views):
        _, model, optim_wrapper, _, _ = built[method]
        return model.train_step({"inputs": views, "data_samples": labels}, optim_wrapper)

    parts = {
        "model": lambda method, step, fixed: model_step(method, fixed),
        "views": lambda method, step, fixed: batch_views(method, step),
        "full": lambda method, step, fixed: model_step(method, batch_views(method, step)),
    }
    fixed = {m: batch_views(m, 0) for m in methods}
    for method in methods:  # warm-up: first calls allocate, autotune and (with --compile) compile
        for part in parts.values():
            for step in range(args.warmup):
                part(method, step, fixed[method])
    _sync(device)
    times = {(m, p): [] for m in methods for p in parts}
    for r in range(args.rounds):
        for method in methods:
            for name, part in parts.items():
                _sync(device)
                start = time.perf_counter()
                for step in range(args.steps):
                    part(method, step, fixed[method])
                _sync(device)
                times[method, name].append((time.perf_counter() - start) / (args.steps * batch))
        report["rounds"] = {f"{m}/{p}": t for (m, p), t in times.items()}
        save()
    per_image = {key: statistics.median(t) for key, t in times.items()}
    report["images_per_s"] = {f"{m}/{p}": 1 / per_image[m, p] for m, p in per_image}
    report["full_over_model"] = {m: statistics.median(f / o for f, o in zip(times[m, "full"], times[m, "model"]))
                                 for m in methods}
    if {"mocov2", "leoclr"} <= set(methods):
        report["leoclr_over_mocov2_time_per_image"] = {
            p: statistics.median(a / b for a, b in zip(times["leoclr", p], times["mocov2", p])) for p in parts}
    if device.type == "cpu":
        report["views_us_per_sample"] = _views_cpu(built[methods[0]][3], pool, batch, args)
    save()
    report["knn"] = _knn_time(built[methods[0]][1], size, device, args.knn_bank, args.knn_queries, weighted_knn_top1)
    save()
    if device.type == "cuda":
        report["profiler_top15"] = _profile(lambda s: parts["full"](methods[-1], s, None), device)
        save()
    return report


def _views_cpu(views, pool, batch, args) -> dict:
    """µs per view-sample on the CPU: the counter generator with masked and with dense colour ops, and the first
    (numpy) generator with masked ones, interleaved."""
    from pretrain.counter_rng import sample_keys
    from pretrain.tensor_views import BatchedViews

    settings = dict(views=views.views, size=views.size, crop_scale=views.crop_scale,
                    original_mode=views.original_mode, augment=views.augment)
    variants = {"numpy/masked": BatchedViews(**settings, generator="numpy", photometric="masked"),
                "counter/masked": BatchedViews(**settings, generator="counter", photometric="masked"),
                "counter/dense": BatchedViews(**settings, generator="counter", photometric="dense")}
    images = pool[:batch]
    keys = sample_keys(0, 0, torch.arange(batch))
    seeds = list(range(batch))
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, make in variants.items():
            start = time.perf_counter()
            make(images, seeds if name.startswith("numpy") else keys)
            times[name].append((time.perf_counter() - start) / (batch * len(views.views)) * 1e6)
    return {name: round(statistics.median(t), 2) for name, t in times.items()}


@torch.no_grad()
def _knn_time(model, size, device, bank: int, queries: int, vote) -> dict:
    """The kNN monitor's work on random images: features of bank + queries through the backbone (fp32 bank, as
    the hook keeps it), then the weighted vote (k 200, T 0.1)."""
    model.eval()
    start = time.perf_counter()
    features = []
    for n in (bank, queries):
        chunks = []
        for first in range(0, n, 1000):
            images = torch.randint(0, 256, (min(1000, n - first), 3, size, size), dtype=torch.uint8, device=device)
            chunks.append(F.normalize(model.backbone(model.data_preprocessor.normalise(images)).float(), dim=1))
        features.append(torch.cat(chunks))
    _sync(device)
    extract_s = time.perf_counter() - start
    start = time.perf_counter()
    labels = [torch.randint(0, 10, (len(f),), device=device) for f in features]
    vote(features[0], labels[0], features[1], labels[1], k=200, temperature=0.1)
    _sync(device)
    model.train()
    return {"bank": bank, "queries": queries, "extract_s": round(extract_s, 3),
            "vote_s": round(time.perf_counter() - start, 3)}


def _profile(step, device) -> str:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for s in range(5):
            step(s)
        _sync(device)
    return prof.key_averages().table(sort_by="cuda_time_total", row_limit=15)


def print_report(report: dict) -> None:
    print(f"bench --profile {report['profile']}: batch {report['batch']} at {report['size']} px on "
          f"{report['device']}{' ' + report['amp'] if report['amp'] else ''}, views {report['generator']}/"
          f"{report['photometric']}{', compiled' if report['compile'] else ''}, torch {report['torch']}")
    for key, value in report["images_per_s"].items():
        print(f"  {key:16s} {value:10.1f} images/s")
    for method, ratio in report["full_over_model"].items():
        print(f"  {method}: full step / model-only time {ratio:.2f}")
    for part, ratio in report.get("leoclr_over_mocov2_time_per_image", {}).items():
        print(f"  LeOCLR / MoCo-v2 time per image, {part}: {ratio:.2f}")
    for name, us in report.get("views_us_per_sample", {}).items():
        print(f"  views {name}: {us} µs per view-sample")
    knn = report.get("knn")
    if knn:
        print(f"  kNN: features of {knn['bank']} + {knn['queries']} images {knn['extract_s']} s, "
              f"vote {knn['vote_s']} s")
    if report.get("profiler_top15"):
        print(report["profiler_top15"])
