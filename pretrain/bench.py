"""Throughput benchmark (not a test): images/s of our MoCo-v2 and LeOCLR training steps against a plain-PyTorch
reference step of the same networks, and of the full loader + step against the model-only step.

    python -m pretrain.bench                                   # CPU defaults: R18, 64 px, batch 64
    python -m pretrain.bench --arch resnet50 --size 224 --batch 128 --device cuda --amp bf16 --channels-last

"images/s" counts source images (a MoCo-v2 step sees 2 views of each, LeOCLR 3). Printed ratios:
ours/reference (≈1 means the mmengine plumbing costs nothing), LeOCLR/MoCo-v2 per image (theory ≈ 1/1.25),
loader+step / model-only (the data pipeline's overhead). Needs no mmcv.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from pretrain.checkpoints import FEATURE_DIMS, build_resnet


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
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from pretrain.leoclr import LeOCLR
    from pretrain.mocov2 import MoCoV2

    cls = {"mocov2": MoCoV2, "leoclr": LeOCLR}[method]
    # plain BN, as the reference: this compares plumbing, not the BN variant
    model = cls(arch=arch, queue_size=queue_size, momentum=0.999, bn="plain",
                channels_last=channels_last).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    wrapper = AmpOptimWrapper(optimizer=optimizer, dtype=amp_dtype) if amp_dtype else OptimWrapper(optimizer)
    model.train()
    return lambda views: model.train_step({"inputs": views, "data_samples": None}, wrapper)


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


def loader_batches(method, data_root, size, batch, steps, workers):
    from torch.utils.data import DataLoader

    from pretrain.data import MultiViewImageFolder
    views = ("crop", "crop") if method == "mocov2" else ("original", "crop", "crop")
    dataset = MultiViewImageFolder(data_root, "train", views=views, size=size)
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0, pin_memory=torch.cuda.is_available())
    for _ in range(steps):
        for batch_data in loader:
            yield batch_data["inputs"]
            break


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8, help="timed steps (after 2 warm-up steps)")
    parser.add_argument("--queue", type=int, default=4096)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--amp", choices=["bf16", "fp16"])
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="loader workers for the loader+step rate")
    parser.add_argument("--data-root", help="ImageFolder root for loader+step (default: generate scenes)")
    args = parser.parse_args(argv)
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, None: None}[args.amp]
    torch.manual_seed(0)
    total = args.steps + 2
    synthetic = [[torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8)
                  for _ in range(3)] for _ in range(total)]
    tmp = None
    if args.data_root is None:
        from pretrain.datasets.scenes import generate
        tmp = tempfile.TemporaryDirectory()
        args.data_root = Path(tmp.name) / "scenes"
        generate(args.data_root, seed=0, size=max(4 * args.batch, 256), image_size=args.size, val_fraction=0.1)

    print(f"bench: {args.arch} {args.size}px batch {args.batch} on {args.device}"
          f"{' ' + args.amp if args.amp else ''}{' channels_last' if args.channels_last else ''}, torch {torch.__version__}")
    rates = {}
    for method, n_keys in (("mocov2", 1), ("leoclr", 2)):
        n_views = 1 + n_keys
        ref = timed(reference_step_fn(args.arch, n_keys, args.queue, args.device, args.channels_last, amp_dtype),
                    [v[:n_views] for v in synthetic], args.device)
        ours = timed(our_step_fn(method, args.arch, args.queue, args.device, args.channels_last, amp_dtype),
                     [v[:n_views] for v in synthetic], args.device)
        full = timed(our_step_fn(method, args.arch, args.queue, args.device, args.channels_last, amp_dtype),
                     loader_batches(method, args.data_root, args.size, args.batch, total, args.workers), args.device)
        rates[method] = {"reference": args.batch / ref, "ours": args.batch / ours, "loader+step": args.batch / full}
    header = f"{'method':8} {'reference img/s':>16} {'ours img/s':>11} {'ours/ref':>9} {'loader+step img/s':>18} {'loader/model':>13}"
    print(header)
    for method, r in rates.items():
        print(f"{method:8} {r['reference']:16.1f} {r['ours']:11.1f} {r['ours'] / r['reference']:9.2f} "
              f"{r['loader+step']:18.1f} {r['loader+step'] / r['ours']:13.2f}")
    cost = rates["mocov2"]["ours"] / rates["leoclr"]["ours"]
    print(f"LeOCLR / MoCo-v2 step cost per image: {cost:.2f} (theory ≈ 1.25: +1 momentum forward)")
    if tmp:
        tmp.cleanup()
    return rates


if __name__ == "__main__":
    main()
