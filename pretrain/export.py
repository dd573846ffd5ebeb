"""Export the query-encoder backbone of a pretraining run as a torchvision-named, tensor-only state_dict.

    python -m pretrain.export RUN_DIR_OR_CKPT OUT.pth            # from a run dir (its last checkpoint) or a file
    python -m pretrain.export --random --arch resnet50 OUT.pth   # a zero-step export (config and load checks)

Writes OUT.pth (loads into `torchvision.models.<arch>()` with only `fc.*` missing) and OUT.json (method, arch,
stem, run_id, seed, iterations, epochs, dataset, config, sha256, source_sha256, commit).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from pretrain.checkpoints import BackboneLoadError, build_resnet, read_backbone_state_dict, save_backbone
from suite.records import git_commit, sha256_file

METHODS = {"MoCoV2": "mocov2", "LeOCLR": "leoclr"}


def last_checkpoint(run_dir: Path) -> Path:
    pointer = run_dir / "last_checkpoint"
    if not pointer.exists():
        raise FileNotFoundError(f"{run_dir}: no `last_checkpoint` file; is this a pretraining work dir?")
    path = Path(pointer.read_text().strip())
    return path if path.is_absolute() else run_dir / path.name


def export_checkpoint(source: str | Path, out: str | Path, overwrite: bool = False) -> dict:
    from mmengine.config import Config

    source = Path(source)
    checkpoint_path = last_checkpoint(source) if source.is_dir() else source
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    meta = checkpoint.get("meta", {})
    cfg = Config.fromstring(meta["cfg"], file_format=".py")
    trunk = {key[len("backbone."):]: value for key, value in checkpoint["state_dict"].items()
             if key.startswith("backbone.")}
    dataset_meta = meta.get("dataset_meta") or {}
    iterations = int(meta.get("iter", 0))
    images_seen = iterations * cfg.train_dataloader.batch_size * int(meta.get("world_size", 1))
    epochs = meta.get("epoch") or (round(images_seen / dataset_meta["size"], 3) if dataset_meta.get("size") else None)
    sidecar = {
        "method": METHODS.get(cfg.model.type, cfg.model.type.lower()), "arch": cfg.model.arch,
        "stem": cfg.model.get("stem", "standard"), "run_id": checkpoint_path.parent.name,
        "seed": meta.get("seed"), "iterations": iterations, "epochs": epochs,
        "dataset": cfg.get("dataset_name", dataset_meta.get("root")), "config": cfg.get("config_path"),
        "source": str(checkpoint_path), "source_sha256": sha256_file(checkpoint_path), "commit": git_commit(),
    }
    save_backbone(trunk, out, sidecar, overwrite=overwrite)
    read_backbone_state_dict(out)  # verify the export against the architecture before anyone uses it
    return sidecar


def export_random(out, arch="resnet50", stem="standard", seed=0, overwrite=False) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        trunk = {k: v for k, v in build_resnet(arch, stem).state_dict().items() if not k.startswith("fc.")}
    sidecar = {"method": "random", "arch": arch, "stem": stem, "run_id": f"random-{arch}-s{seed}", "seed": seed,
               "iterations": 0, "epochs": 0, "dataset": None, "config": None, "source_sha256": None,
               "commit": git_commit()}
    save_backbone(trunk, out, sidecar, overwrite=overwrite)
    return sidecar


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", help="pretraining work dir or checkpoint file")
    parser.add_argument("out", help="output .pth (a .json sidecar is written beside it)")
    parser.add_argument("--random", action="store_true", help="export a seeded random-init backbone")
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--stem", default="standard", choices=["standard", "cifar"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    args = parser.parse_args(argv)
    try:
        if args.random:
            sidecar = export_random(args.out, args.arch, args.stem, args.seed, args.overwrite)
        elif args.source:
            sidecar = export_checkpoint(args.source, args.out, args.overwrite)
        else:
            parser.error("give a SOURCE run dir / checkpoint, or --random")
    except (FileNotFoundError, FileExistsError, BackboneLoadError, KeyError) as err:
        print(f"export failed: {err}", file=sys.stderr)
        return 2
    print(f"exported {sidecar['method']} {sidecar['arch']} backbone → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
