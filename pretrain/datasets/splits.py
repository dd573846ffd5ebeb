"""Deterministic class-stratified subsets, shared by pretraining and downstream: the semi-supervised label
subsets, the prepared val splits (`suite.prepare`, contracts.md section 5.1: 10 % of each class, seed 0),
the probe's held-out val and the CIFAR-10 `val` / `train_minus_val` splits (`pretrain.datasets.cifar.select_split`)."""
from __future__ import annotations

import numpy as np


def stratified_subset(samples: list[tuple[str, int]], percent: float, seed: int = 0) -> list[tuple[str, int]]:
    """A deterministic class-stratified subset: round(percent % of each class), at least one image per class,
    drawn per class from (seed, label) so a class's pick does not depend on the other classes. Keeps the
    input order."""
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    by_class: dict[int, list[int]] = {}
    for i, (_, label) in enumerate(samples):
        by_class.setdefault(label, []).append(i)
    keep: set[int] = set()
    for label, indices in by_class.items():
        n = max(1, int(round(len(indices) * percent / 100.0)))
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(label)]))
        keep.update(indices[j] for j in rng.permutation(len(indices))[:n])
    return [s for i, s in enumerate(samples) if i in keep]


def held_out_split(labels, percent: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, val indices): ``percent`` % of each class held out with `stratified_subset`'s rule."""
    labels = [int(v) for v in labels]
    val = {i for i, _ in stratified_subset(list(enumerate(labels)), percent, seed)}
    return (np.array([i for i in range(len(labels)) if i not in val], dtype=np.int64),
            np.array(sorted(val), dtype=np.int64))
