"""Weighted kNN classification on L2-normalised features, shared by the pretraining monitor and `downstream.knn`.

The vote is Wu et al. 2018's (InstDisc): each of the k most cosine-similar bank features votes for its class
with weight exp(cos / T). The literature uses two settings, always with the whole training set as the bank:

* InstDisc on CIFAR (and MoCo's CIFAR-10 demo): k = 200, T = 0.1 (InstDisc's T is its NCE temperature,
  0.1 on CIFAR, 0.07 on ImageNet);
* ImageNet in most suites (solo-learn's `WeightedKNNClassifier`, mmselfsup's `test_knn.py`): k = 20, T = 0.07.

The values live in the configs: `configs/knn/*.py` for the table protocol, and the pretraining monitor's
`KNNMonitorHook` entry in each pretraining config (the cifar10 profiles: k = 200, T = 0.1, the whole training set
against the test split, the table's own protocol; the paper and smoke configs: a training-curve signal on a
bank they name, not a table number).
"""
import torch


@torch.no_grad()
def weighted_knn_top1(bank, bank_labels, queries, query_labels, k=20, temperature=0.1, chunk=1024) -> float:
    """Top-1 (%) when the k nearest bank features (cosine; inputs L2-normalised) vote with weight exp(cos/τ)."""
    num_classes = int(max(bank_labels.max(), query_labels.max())) + 1
    correct = 0
    for start in range(0, len(queries), chunk):
        sims, idx = (queries[start:start + chunk] @ bank.T).topk(min(k, len(bank)), dim=1)
        votes = torch.zeros(len(idx), num_classes, device=bank.device)
        votes.scatter_add_(1, bank_labels[idx], (sims / temperature).exp())
        correct += (votes.argmax(1) == query_labels[start:start + chunk]).sum().item()
    return 100.0 * correct / len(queries)
