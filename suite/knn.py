"""Weighted kNN classification (Wu et al. 2018), shared by the pretraining monitor and `downstream.knn`."""
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
