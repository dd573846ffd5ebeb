"""Weighted kNN classification of a frozen backbone (Wu et al. 2018's weighted vote, `pretrain.knn`; k and T from the
config: k=20, T=0.07 on ImageNet, k=200, T=0.1 on CIFAR, as the literature reports them).

    python -m downstream.knn CONFIG --checkpoint CKPT|random [common flags]

Through mmengine's Runner (``runner.test()`` with `KNNTestLoop`): the bank (the config's ``test_cfg.bank``,
the training split) and the queries (``test_dataloader``, the val split) go through the trunk in eval mode,
L2-normalised; each query takes the vote of its k most cosine-similar bank features weighted by
exp(cos / T). A random-init trunk first gets its BN running statistics re-estimated on the bank split
(forward passes, no gradient), as in linear evaluation. The record (stage ``knn``) has ``knn_top1`` in
percent; the run directory defaults to ``runs/<profile>/knn/<config stem>--<backbone id>-s<seed>``.
"""
from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.registry import DATASETS, LOOPS, METRICS
from mmengine.runner import BaseLoop

from downstream.classification import run_stage
from downstream.classifier import unwrap
from downstream.frozen_backbone import extract_features, recalibrate_bn
from pretrain.knn import weighted_knn_top1


@METRICS.register_module()
class KNNAccuracy(BaseMetric):
    """``knn_top1`` (%) of the processed query features against ``self.bank`` (set by `KNNTestLoop`)."""

    default_prefix = ""

    def __init__(self, k=20, temperature=0.1, **kwargs):
        super().__init__(**kwargs)
        self.k, self.temperature = k, temperature
        self.bank = None

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            self.results.append((sample["feat"].cpu(), int(sample["gt"])))

    def compute_metrics(self, results: list) -> dict:
        bank, bank_labels = self.bank
        queries = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        return {"knn_top1": weighted_knn_top1(bank.cpu(), bank_labels.cpu(), queries, labels, self.k,
                                              self.temperature)}


@LOOPS.register_module()
class KNNTestLoop(BaseLoop):
    """Test loop: (BN re-estimation for random init,) bank features, query features, `KNNAccuracy`.

    ``bank``: dataset config of the bank; ``bn_samples``: images used to re-estimate a random-init trunk's BN
    statistics (evenly spaced over the bank; None = all); ``random_bn``: 'reestimate' (contracts.md §2) or
    'untouched' (the freshly initialised running statistics, mean 0 / var 1: the other random-init reference
    line the CIFAR-10 table reports); ``batch_size`` / ``num_workers`` for bank passes."""

    def __init__(self, runner, dataloader, evaluator, bank, bn_samples=None, random_bn="reestimate", batch_size=256,
                 num_workers=0):
        super().__init__(runner, dataloader)
        if random_bn not in ("reestimate", "untouched"):
            raise ValueError(f"test_cfg.random_bn={random_bn!r}: expected 'reestimate' or 'untouched'")
        self.random_bn = random_bn
        self.evaluator = runner.build_evaluator(evaluator)
        self.bank_dataset = DATASETS.build(bank)
        self.bn_samples, self.batch_size, self.num_workers = bn_samples, batch_size, num_workers
        self.bn_policy = None

    @torch.no_grad()
    def run(self) -> dict:
        runner = self.runner
        runner.call_hook("before_test")
        runner.call_hook("before_test_epoch")
        model = unwrap(runner.model)
        model.eval()
        if model.is_random_init and self.random_bn == "untouched":
            self.bn_policy = "random init: BN running statistics left as initialised (mean 0, variance 1)"
        elif model.is_random_init:
            n = recalibrate_bn(model.backbone, model.data_preprocessor, self.bank_dataset, self.batch_size,
                               self.bn_samples, self.num_workers, runner.logger)
            self.bn_policy = (f"random init: BN running statistics re-estimated on the bank (training) split "
                              f"({n} images, forward passes, no gradient) before extracting features")
        else:
            self.bn_policy = "pretrained backbone: BN running statistics kept from the checkpoint"
        runner.logger.info(self.bn_policy)
        model.eval()
        runner.logger.info(f"kNN: extracting {len(self.bank_dataset)} bank features")
        bank = extract_features(model, self.bank_dataset, self.batch_size, self.num_workers, normalise=True)
        for metric in self.evaluator.metrics:
            metric.bank = bank
        runner.logger.info(f"kNN: extracting {len(self.dataloader.dataset)} query features")
        for idx, data_batch in enumerate(self.dataloader):
            runner.call_hook("before_test_iter", batch_idx=idx, data_batch=data_batch)
            data = model.data_preprocessor(data_batch, False)
            feats = F.normalize(model.backbone(data["inputs"]).float(), dim=1)
            outputs = [{"feat": f, "gt": g} for f, g in zip(feats, data["data_samples"])]
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            runner.call_hook("after_test_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        runner.call_hook("after_test_epoch", metrics=metrics)
        runner.call_hook("after_test")
        return metrics


def main(argv=None) -> int:
    return run_stage(argv, "knn")


if __name__ == "__main__":
    sys.exit(main())
