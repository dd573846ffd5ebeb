"""What a record says a run's data is (contracts v5, `inputs.dataset`): the content hash of every dataset folder a
config reads — CIFAR-10 through its reader's own hash (the decoded arrays, plus the source file's), anything else
through `common.records.content_sha256` (sorted relative paths, sizes and per-file sha256).

Used by pretraining and by every downstream runner, so that a downstream record and its pretraining's can be
compared (the report refuses a pair whose hashes of one dataset differ) and an archived run can be re-checked."""
from __future__ import annotations

from common.records import dataset_input


def reads_cifar10(dataset_cfg) -> bool:
    """Whether a dataset config reads CIFAR-10 through `pretrain.datasets.cifar` (cache, pickles, ImageFolder or
    the JPEG tarball: one content, many copies)."""
    kind = dataset_cfg.get("type")
    if kind in ("InMemoryMultiView", "InMemoryEval"):
        return dataset_cfg.get("reader", "cifar10") == "cifar10"
    return kind == "CifarDataset" and dataset_cfg.get("variant", "cifar10") == "cifar10"


def fingerprint_input(dataset_cfg, data_root=None) -> dict:
    """One dataset config as a record input: {path (relative to `data_root`), sha256, hashed, …}."""
    root = dataset_cfg.get("data_root")
    if root is None:
        return {"path": None, "sha256": None, "hashed": "missing"}
    if reads_cifar10(dataset_cfg):
        from pretrain.datasets import cifar
        try:
            return dataset_input(root, data_root, cifar.fingerprint(root))
        except FileNotFoundError:
            return dataset_input(root, data_root, {"sha256": None, "hashed": "missing"})
    return dataset_input(root, data_root)


def dataset_configs(cfg) -> list:
    """Every dataset config in a resolved config (dataloaders, a probe's sets, a kNN bank): the dicts with a `type`
    and a `data_root`, hooks left out (a hook's data is an evaluation aside, not the run's input)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "type" in node and "data_root" in node and not str(node["type"]).endswith("Hook"):
                found.append(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    for key in ("train_dataloader", "val_dataloader", "test_dataloader", "probe", "test_cfg"):
        walk(cfg.get(key))
    return found


def dataset_inputs(cfg, data_root=None) -> dict:
    """{"dataset": …} for the first dataset folder a config reads, plus `dataset_2`, … for further distinct
    folders (a detection config's train and test sets, a transfer set read from two roots)."""
    inputs, seen = {}, set()
    for dataset_cfg in dataset_configs(cfg):
        root = str(dataset_cfg.get("data_root"))
        if root in seen:
            continue
        seen.add(root)
        inputs["dataset" if not inputs else f"dataset_{len(inputs) + 1}"] = fingerprint_input(dataset_cfg, data_root)
    return inputs or {"dataset": {"path": None, "sha256": None, "hashed": "missing"}}
