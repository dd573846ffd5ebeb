"""Throughput benchmark (not a test): images/s of our MoCo-v2 and LeOCLR training steps against a plain-PyTorch
reference step of the same networks, and of the full loader + step against the model-only step, for both
pretraining loaders (`pretrain/data.py`): `pil` (views made per image in loader workers) and `device` (workers
decode to a fixed size, views made batch-wise on the training device).

    python -m pretrain.bench                                   # CPU defaults: R18, 64 px, batch 64, 1 worker
    python -m pretrain.bench --arch resnet50 --size 224 --batch 128 --device cuda --amp bf16 --channels-last \
        --workers 8,16 --json bench.json                       # GPU: synthetic ImageNet-sized JPEGs
    python -m pretrain.bench --profile cifar10-gpu --device cuda --json bench.json   # issue 21: the profile's
                                                               # configs in parts (pretrain/bench_profile.py)

"images/s" counts source images (a MoCo-v2 step sees 2 views of each, LeOCLR 3). Printed ratios:
ours/reference (≈1 means the mmengine plumbing costs nothing), LeOCLR/MoCo-v2 per image (theory ≈ 1/1.25),
loader+step / model-only per loader (the data pipeline's overhead; ≥ 0.90 is the target). The loader rates are
measured in rounds, model-only, pil, device, model-only, pil, device, …, and each ratio is the median over
rounds of loader+step / the model-only rate of the same round, so a load that drifts during the run (a shared
machine) biases neither loader. `--json` writes the figures after every measurement (a run stopped by a
deadline leaves what it measured). Needs no mmcv.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from pretrain.resnet_trunk import FEATURE_DIMS, build_resnet


def reference_step_fn(arch, n_keys, queue_size, device, channels_last, amp_dtype):
    """MoCo-style step in plain PyTorch: f_q fwd+bwd on one view, f_k forward on `n_keys` views, SGD, EMA."""
    dim = FEATURE_DIMS[arch]
    f_q = nn.Sequential(build_resnet(arch), nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 128)).to(device)
    f_k = copy.deepcopy(f_q).requires_grad_(False)
    if channels_last:
        f_q, f_k = f_q.to(memory_format=torch.channels_last), f_k.to(memory_format=torch.channels_last)
    queue = F.normalize(torch.randn(128, queue_size, device=device), dim=0)
    optimizer = torch.optim.SGD(f_q.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    mean = torch.tensor([123.675, 116.28, 103.53], device=device).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375], device=device).view(1, 3, 1, 1)
    fmt = torch.channels_last if channels_last else torch.contiguous_format

    def step(views):
        views = [((v.to(device).float() - mean) / std).contiguous(memory_format=fmt) for v in views]
        with torch.no_grad():
            torch._foreach_lerp_(list(f_k.parameters()), list(f_q.parameters()), 0.001)
        with autocast(device, amp_dtype):
            q = F.normalize(f_q(views[0]), dim=1)
            loss = 0
            for view in views[1:1 + n_keys]:
                with torch.no_grad():
                    k = F.normalize(f_k(view), dim=1)
                logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1).float() / 0.2
                loss = loss + F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    return step


def autocast(device, dtype):
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype) if dtype else contextlib.nullcontext()


def our_step_fn(method, arch, queue_size, device, channels_last, amp_dtype):
    """Our model's train_step; its preprocessor makes the views of a device-views batch and passes views through."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from pretrain.data import DeviceViewsPreprocessor  # noqa: F401  (registers it)
    from pretrain.leoclr import LeOCLR
    from pretrain.mocov2 import MoCoV2

    cls = {"mocov2": MoCoV2, "leoclr": LeOCLR}[method]
    # plain BN, as the reference: this compares plumbing, not the BN variant
    model = cls(arch=arch, queue_size=queue_size, momentum=0.999, bn="plain", channels_last=channels_last,
                data_preprocessor=dict(type="DeviceViewsPreprocessor")).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    wrapper = AmpOptimWrapper(optimizer=optimizer, dtype=amp_dtype) if amp_dtype else OptimWrapper(optimizer)
    model.train()

    def step(inputs):
        return model.train_step({"inputs": inputs, "data_samples": None}, wrapper)

    return step


def timed(step, batches, device, warmup=2) -> float:
    """Seconds per step after `warmup` steps."""
    iterator = iter(batches)
    for _ in range(warmup):
        step(next(iterator))
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    start, n = time.perf_counter(), 0
    for views in iterator:
        step(views)
        n += 1
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n


def endless_batches(method, loader_kind, data_root, size, decode_size, batch, workers, device):
    """Batches of the `pil` or `device` loader as pretraining builds them, epoch after epoch, same workers."""
    from torch.utils.data import DataLoader

    from pretrain.data import MultiViewImageFolder, device_views_collate

    views = ("crop", "crop") if method == "mocov2" else ("original", "crop", "crop")
    on_device = loader_kind == "device"
    dataset = MultiViewImageFolder(data_root, "train", views=views, size=size,
                                   decode_size=decode_size if on_device else None)
    # training on the CPU, the workers make the batched views beside the step (device_views_collate)
    collate = functools.partial(device_views_collate, views_in_workers=torch.device(device).type == "cpu")
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0, pin_memory=torch.cuda.is_available(),
                        collate_fn=collate if on_device else None)
    while True:
        for batch_data in loader:
            yield batch_data["inputs"]


def rate(step, batches, n_steps, batch, device) -> float:
    """Images/s over `n_steps` steps (the caller warms up)."""
    return batch / timed(step, (next(batches) for _ in range(n_steps)), device, warmup=0)


def synthetic_jpegs(root: Path, n: int, width: int = 500, height: int = 375, classes: int = 8) -> Path:
    """An ImageFolder of ImageNet-sized JPEGs (ImageNet's most common size, quality 90) with smooth content and
    fine noise, so that decoding costs about what a photograph costs."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        folder = root / "train" / f"class{i % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        coarse = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((width, height),
                                                                                           Image.BICUBIC)
        pixels = np.asarray(coarse, dtype=np.int16) + rng.integers(-12, 13, (height, width, 3), dtype=np.int16)
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"{i:06d}.jpg", quality=90)
    return root


def stack() -> dict:
    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "cpu_count": os.cpu_count()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per measurement (after warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="model-only / pil / device rounds per worker count")
    parser.add_argument("--queue", type=int, default=4096)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--amp", choices=["bf16", "fp16"])
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--methods", default="mocov2,leoclr")
    parser.add_argument("--loaders", default="pil,device", help="loaders to time against model-only")
    parser.add_argument("--workers", default="1", help="loader worker counts, comma-separated (e.g. 8,16)")
    parser.add_argument("--decode-size", type=int, help="device loader's stored size (default: the view size "
                                                        "below 128 px, else size × 8/7: ImageNet's 256 for 224)")
    parser.add_argument("--data-root", help="ImageFolder root (<root>/train/<class>/…); default: generated scenes "
                                            "at the view size below 128 px, else synthetic ImageNet-sized JPEGs")
    parser.add_argument("--images", type=int, default=512, help="images to generate when --data-root is not set")
    parser.add_argument("--json", help="write the figures here, updated after every measurement")
    profile = parser.add_argument_group("--profile: a profile's own configs in parts (pretrain/bench_profile.py)")
    profile.add_argument("--profile", choices=["cifar10-gpu"], help="model-only, views-only and full-step rates of "
                         "the profile's pretraining configs; the options above except --device, --amp, --steps, "
                         "--rounds, --methods, --json do not apply")
    profile.add_argument("--warmup", type=int, default=3, help="untimed steps per method and part first")
    profile.add_argument("--generator", choices=["counter", "numpy"], default="counter")
    profile.add_argument("--photometric", choices=["auto", "masked", "dense"], default="auto")
    profile.add_argument("--compile", action="store_true", help="compile backbone and head (model.compile)")
    profile.add_argument("--knn-bank", type=int, help="kNN bank images (default 50,000 on a GPU, 1,000 on a CPU)")
    profile.add_argument("--knn-queries", type=int, help="kNN query images (default 10,000 on a GPU, 200 on a CPU)")
    args = parser.parse_args(argv)
    if args.profile:
        from pretrain import bench_profile

        gpu = args.device.startswith("cuda")
        args.knn_bank = args.knn_bank or (50_000 if gpu else 1_000)
        args.knn_queries = args.knn_queries or (10_000 if gpu else 200)
        args.batch = args.batch if "--batch" in (argv or __import__("sys").argv) else None  # the config's
        bench_profile.print_report(bench_profile.run(args))
        return 0
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, None: None}[args.amp]
    # small views come from images of their own size (the scenes); ImageNet-sized sources are stored at 256 for 224
    decode_size = args.decode_size or (args.size if args.size < 128 else round(args.size * 8 / 7))
    methods, loaders = args.methods.split(","), args.loaders.split(",") if args.loaders else []
    workers = [int(w) for w in args.workers.split(",")]
    torch.manual_seed(0)
    synthetic = [[torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8)
                  for _ in range(3)] for _ in range(args.steps + 2)]
    tmp = None
    if args.data_root is None and loaders:
        tmp = tempfile.TemporaryDirectory()
        if args.size < 128:
            from pretrain.datasets.scenes import generate
            args.data_root = Path(tmp.name) / "scenes"
            generate(args.data_root, seed=0, size=max(args.images, 4 * args.batch), image_size=args.size,
                     val_fraction=0.1)
        else:
            args.data_root = synthetic_jpegs(Path(tmp.name) / "jpeg", max(args.images, 4 * args.batch))

    title = (f"bench: {args.arch} {args.size}px batch {args.batch} on {args.device}"
             f"{' ' + args.amp if args.amp else ''}{' channels_last' if args.channels_last else ''}, "
             f"torch {torch.__version__}, device loader stores {decode_size}px")
    print(title, flush=True)
    report = {"title": title, "args": vars(args), "stack": stack(), "methods": {}}

    def save():
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1, default=str))

    for method in methods:
        n_views = 2 if method == "mocov2" else 3
        model_batches = [v[:n_views] for v in synthetic]
        figures = report["methods"].setdefault(method, {"loaders": {}})
        ref = timed(reference_step_fn(args.arch, n_views - 1, args.queue, args.device, args.channels_last,
                                      amp_dtype), model_batches, args.device)
        figures["reference"] = args.batch / ref
        step = our_step_fn(method, args.arch, args.queue, args.device, args.channels_last, amp_dtype)
        figures["ours"] = args.batch / timed(step, model_batches, args.device)
        print(f"{method}: reference {figures['reference']:.1f} img/s, ours {figures['ours']:.1f} img/s "
              f"(ours/ref {figures['ours'] / figures['reference']:.2f})", flush=True)
        save()
        for n_workers in workers:
            streams = {kind: endless_batches(method, kind, args.data_root, args.size, decode_size, args.batch,
                                             n_workers, args.device) for kind in loaders}
            for batches in streams.values():  # worker start-up and the first batches are not timed
                rate(step, batches, 2, args.batch, args.device)
            model_only = itertools.cycle(model_batches)
            rounds = {kind: [] for kind in loaders}
            for _ in range(args.rounds):
                model_only_rate = rate(step, model_only, args.steps, args.batch, args.device)
                for kind, batches in streams.items():
                    loaded = rate(step, batches, args.steps, args.batch, args.device)
                    rounds[kind].append((loaded, loaded / model_only_rate))
                    figures["loaders"][f"{kind}-w{n_workers}"] = _summary(rounds[kind])
                save()
            for kind in loaders:
                summary = figures["loaders"][f"{kind}-w{n_workers}"]
                print(f"{method}: {kind:6} loader+step, {n_workers} worker(s): {summary['images_per_s']:.1f} img/s, "
                      f"loader+step / model-only {summary['median_ratio']:.2f} "
                      f"(rounds {', '.join(f'{r:.2f}' for r in summary['ratios'])})", flush=True)
            del streams  # ends the workers before the next worker count starts its own
    _print_table(report, workers, loaders)
    save()
    if tmp:
        tmp.cleanup()
    return report


def _summary(rounds: list[tuple[float, float]]) -> dict:
    return {"images_per_s": statistics.median(r for r, _ in rounds), "ratios": [round(q, 3) for _, q in rounds],
            "median_ratio": statistics.median(q for _, q in rounds)}


def _print_table(report, workers, loaders):
    columns = [f"{kind}-w{w}" for w in workers for kind in loaders]
    print(f"{'method':8} {'reference':>10} {'ours':>8} {'ours/ref':>9} " +
          " ".join(f"{c + ' ratio':>15}" for c in columns))
    for method, f in report["methods"].items():
        ratios = [f["loaders"].get(c, {}).get("median_ratio") for c in columns]
        print(f"{method:8} {f['reference']:10.1f} {f['ours']:8.1f} {f['ours'] / f['reference']:9.2f} " +
              " ".join(f"{r:15.2f}" if r is not None else f"{'-':>15}" for r in ratios))
    if {"mocov2", "leoclr"} <= set(report["methods"]):
        cost = report["methods"]["mocov2"]["ours"] / report["methods"]["leoclr"]["ours"]
        print(f"LeOCLR / MoCo-v2 step cost per image: {cost:.2f} (theory ≈ 1.25: +1 momentum forward)")


if __name__ == "__main__":
    main()
