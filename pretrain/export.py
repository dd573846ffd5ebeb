"""Export the query-encoder backbone of a pretraining run as a torchvision-named, tensor-only state_dict.

    python -m pretrain.export RUN_DIR_OR_CKPT OUT.pth            # from a run dir (its last checkpoint) or a file
    python -m pretrain.export --random --arch resnet50 OUT.pth   # a zero-step export (config and load checks)

Writes OUT.pth (loads into `torchvision.models.<arch>()` with only `fc.*` missing) and OUT.json (method, arch,
stem, run_id, seed, iterations, epochs, dataset, config, sha256, source_sha256, commit).

What the export needs is stored in the checkpoint's `meta.export` as plain data when the checkpoint is saved
(`ExportMetaHook`). Nothing read from a checkpoint is parsed as a config or otherwise executed: mmengine's
`Config.fromstring` runs the text it is given, so the `meta.cfg` text mmengine also saves is never read here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from mmengine.hooks import Hook

from pretrain.checkpoints import BackboneLoadError, read_backbone_state_dict, save_backbone
from pretrain.resnet_trunk import build_resnet
from common.records import git_commit, portable_path, sha256_file

METHODS = {"MoCoV2": "mocov2", "LeOCLR": "leoclr"}
# contracts.md §7: the plain-data fields a pretraining checkpoint carries for its export.
EXPORT_META_KEYS = ("method", "arch", "stem", "dataset", "dataset_size", "batch_size", "world_size", "seed",
                    "config", "config_sha256")


def export_meta(cfg, *, config_sha256: str, seed: int) -> dict:
    """The static part of `meta.export`, from the run's resolved config (the dataset size and world size are
    filled in at save time, when the dataloader exists)."""
    return {"method": METHODS.get(cfg.model.type, cfg.model.type.lower()), "arch": cfg.model.arch,
            "stem": cfg.model.get("stem", "standard"), "dataset": cfg.get("dataset_name"),
            "batch_size": int(cfg.train_dataloader.batch_size), "seed": seed,
            "config": cfg.get("config_path"), "config_sha256": config_sha256}


class ExportMetaHook(Hook):
    """Adds `meta.export` (plain data, `EXPORT_META_KEYS`) to every checkpoint the runner saves. Registered by
    `pretrain.train` before training (it changes no config, hence no config hash)."""

    priority = "LOW"  # before PlainCheckpointHook (VERY_LOW) turns the checkpoint into plain types

    def __init__(self, meta: dict):
        self.meta = dict(meta)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = runner.train_loop
        dataset = loop.dataloader.dataset if hasattr(loop, "dataloader") else None
        self.meta.update(world_size=int(runner.world_size), dataset_size=len(dataset) if dataset is not None else None)
        checkpoint.setdefault("meta", {})["export"] = dict(self.meta)


def last_checkpoint(run_dir: Path) -> Path:
    pointer = run_dir / "last_checkpoint"
    if not pointer.exists():
        raise FileNotFoundError(f"{run_dir}: no `last_checkpoint` file; is this a pretraining work dir?")
    path = Path(pointer.read_text().strip())
    return path if path.is_absolute() else run_dir / path.name


def read_export_meta(checkpoint: dict, path) -> dict:
    """`meta.export` of a pretraining checkpoint, checked to be plain data with every field export needs."""
    meta = (checkpoint.get("meta") or {}).get("export")
    if not isinstance(meta, dict):
        raise KeyError(f"{path}: no `meta.export` (a checkpoint saved by an older version of pretrain.train, or not "
                       f"a pretraining checkpoint); its config text is never executed to recover it")
    missing = [key for key in EXPORT_META_KEYS if key not in meta]
    if missing:
        raise KeyError(f"{path}: `meta.export` lacks {missing}")
    bad = {key: type(meta[key]).__name__ for key in EXPORT_META_KEYS
           if not isinstance(meta[key], (str, int, float, type(None)))}
    if bad:
        raise KeyError(f"{path}: `meta.export` fields are not plain data: {bad}")
    return meta


def export_checkpoint(source: str | Path, out: str | Path, overwrite: bool = False) -> dict:
    source = Path(source)
    checkpoint_path = last_checkpoint(source) if source.is_dir() else source
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    meta = checkpoint.get("meta", {})
    export = read_export_meta(checkpoint, checkpoint_path)
    trunk = {key[len("backbone."):]: value for key, value in checkpoint["state_dict"].items()
             if key.startswith("backbone.")}
    iterations = int(meta.get("iter", 0))
    images_seen = iterations * export["batch_size"] * export["world_size"]
    epochs = meta.get("epoch") or (round(images_seen / export["dataset_size"], 3) if export["dataset_size"] else None)
    sidecar = {
        "method": export["method"], "arch": export["arch"], "stem": export["stem"],
        "run_id": checkpoint_path.parent.name, "seed": export["seed"], "iterations": iterations, "epochs": epochs,
        "dataset": export["dataset"], "config": export["config"], "config_sha256": export["config_sha256"],
        "source": portable_path(checkpoint_path), "source_sha256": sha256_file(checkpoint_path), "commit": git_commit(),
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
