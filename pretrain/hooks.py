"""Hooks: the kNN monitor, the curves CSV, the train-time budget, the queue pre-fill and sync-free logging
(plain-type checkpoints: `pretrain.plain_checkpoint`)."""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook, RuntimeInfoHook
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS, HOOKS
from torch.utils.data import DataLoader, RandomSampler

from common.curves import CurvesCSV, number as _num
from pretrain.data import EvalImageFolder
from pretrain.knn import weighted_knn_top1
from pretrain.plain_checkpoint import PlainCheckpointHook  # noqa: F401  (registers the hook the configs name)

@torch.no_grad()
def extract_features(model, preprocess, dataset, batch_size: int, num_workers: int = 0):
    # datasets that return whole batches (`__getitems__`, e.g. the in-memory ones) need no collation
    collate = (lambda batch: batch) if hasattr(dataset, "__getitems__") else None
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, shuffle=False, collate_fn=collate)
    features, labels = [], []
    for batch in loader:
        images = preprocess.normalise(batch["inputs"].to(preprocess.mean.device))
        features.append(F.normalize(model(images).float(), dim=1))
        labels.append(batch["data_samples"].to(features[-1].device))
    return torch.cat(features), torch.cat(labels)


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Weighted kNN top-1 (%) of the query backbone on a held-out split, every `interval` iterations (or epochs
    with `by_epoch`) and at the end; logged as `knn_top1` to the log, tensorboard and the curves CSV.

    The bank and queries are ImageFolder splits of `data_root`, or, with `dataset` (a dataset config without
    `data_root`/`split`, e.g. `dict(type='InMemoryEval', size=32)`), that dataset's splits. `features`: the
    backbone's (the suite's kNN protocol) or the query head's output (`head`: what MoCo's CIFAR-10 demo reads)."""

    priority = "LOW"

    def __init__(self, data_root, bank_split="train", query_split="val", size=224, eval_resize=None,
                 bank_samples=None, query_samples=None, interval=1, by_epoch=False, k=20, temperature=0.1,
                 batch_size=256, num_workers=0, dataset=None, features="backbone"):
        if features not in ("backbone", "head"):
            raise ValueError(f"KNNMonitorHook features={features!r}: choose 'backbone' or 'head'")
        self.features = features
        if dataset is None:
            self.bank = EvalImageFolder(data_root, bank_split, size, eval_resize, bank_samples)
            self.queries = EvalImageFolder(data_root, query_split, size, eval_resize, query_samples)
        else:
            self.bank = DATASETS.build(dict(dataset, data_root=data_root, split=bank_split))
            self.queries = DATASETS.build(dict(dataset, data_root=data_root, split=query_split))
        self.interval, self.by_epoch, self.k, self.temperature = interval, by_epoch, k, temperature
        self.batch_size, self.num_workers = batch_size, num_workers
        self.last = None

    def evaluate(self, runner) -> float:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        net = model.backbone if self.features == "backbone" else torch.nn.Sequential(model.backbone, model.neck)
        bank, bank_labels = extract_features(net, model.data_preprocessor, self.bank, self.batch_size,
                                             self.num_workers)
        queries, query_labels = extract_features(net, model.data_preprocessor, self.queries,
                                                 self.batch_size, self.num_workers)
        model.train(was_training)
        return weighted_knn_top1(bank, bank_labels, queries, query_labels, self.k, self.temperature)

    def _run(self, runner, step: int) -> None:
        if not is_main_process():
            return
        top1 = self.evaluate(runner)
        self.last = (step, top1)
        runner.message_hub.update_scalar("train/knn_top1", top1)
        runner.visualizer.add_scalars({"knn_top1": top1}, step=step)
        runner.logger.info(f"kNN monitor ({self.features}, k={self.k}, T={self.temperature}, bank {len(self.bank)}, "
                           f"queries {len(self.queries)}) at step {step}: top-1 {top1:.2f}%")

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.by_epoch:
            # at the epoch's last iteration rather than after the epoch, so CurvesHook writes it on that row
            if self.end_of_epoch(runner.train_dataloader, batch_idx) and (
                    self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner)):
                self._run(runner, runner.iter + 1)
        elif self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner):
            self._run(runner, runner.iter + 1)


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stops epoch-based training at the first epoch end after which another epoch would overrun
    `max_train_s` seconds of training iterations (monitor and checkpoint time not counted). The record's
    `epochs` says how far it got; the LR schedule is the config's, so a stopped run ends before its cosine does."""

    priority = "HIGH"  # timing stops before the kNN monitor (LOW) runs at the epoch's last iteration

    def __init__(self, max_train_s: float):
        self.max_train_s = float(max_train_s)
        self.spent, self.epochs_timed = 0.0, 0
        self.saved = None  # the count a loaded checkpoint carried (after_load_checkpoint)

    def before_train(self, runner) -> None:
        # a resumed run (it starts past epoch 0) goes on from its checkpoint's count, so its train_s and budget
        # hold every attempt; a fresh one, even with weights loaded from another run, starts from zero
        if self.saved and runner.epoch > 0:
            self.spent, self.epochs_timed = float(self.saved["spent_s"]), int(self.saved["epochs_timed"])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault("meta", {})["train_time"] = {"spent_s": self.spent, "epochs_timed": self.epochs_timed}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self.saved = (checkpoint.get("meta") or {}).get("train_time")

    def before_train_epoch(self, runner) -> None:
        self.epoch_start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.end_of_epoch(runner.train_dataloader, batch_idx):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.spent += time.perf_counter() - self.epoch_start
            self.epochs_timed += 1

    def after_train_epoch(self, runner) -> None:
        if self.spent + self.spent / max(1, self.epochs_timed) > self.max_train_s:
            runner.train_loop.stop_training = True
            runner.logger.info(f"train-time budget: {self.spent:.0f} s of training after {runner.epoch + 1} "
                               f"epochs; another would pass {self.max_train_s:.0f} s, stopping")


CURVE_COLUMNS = ("step", "epoch", "loss", "lr", "knn_top1", "pos_sim", "neg_sim")
# Written when the run measures them (LeOCLR's two InfoNCE terms; `model.diagnostics=True`; a `clip_grad` in the
# optimiser wrapper, which makes mmengine compute the gradient norm): the collapse diagnosis of issue 23.
DIAGNOSTIC_COLUMNS = ("crop1_infonce", "crop2_infonce", "key_cos", "eff_rank", "grad_norm")


@HOOKS.register_module()
class CurvesHook(Hook):
    """Appends `curves.csv` (step, epoch, loss, lr, knn_top1, pos_sim, neg_sim, and the diagnostic columns where
    measured) in the work dir every `interval` iterations; on resume, rows beyond the resumed step are dropped so
    the file has one history."""

    priority = "VERY_LOW"  # after KNNMonitorHook has logged this step's kNN

    def __init__(self, interval=10):
        self.interval = interval

    def before_train(self, runner) -> None:
        self.curves = CurvesCSV(Path(runner.work_dir) / "curves.csv", CURVE_COLUMNS + DIAGNOSTIC_COLUMNS)
        if is_main_process():
            self.curves.restart(upto_step=runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not is_main_process():
            return
        step = runner.iter + 1
        knn_hook = next((h for h in runner.hooks if isinstance(h, KNNMonitorHook)), None)
        knn_now = knn_hook is not None and knn_hook.last is not None and knn_hook.last[0] == step
        if not (step % self.interval == 0 or step == runner.max_iters or knn_now):
            return
        outputs = outputs or {}
        lr = runner.optim_wrapper.get_lr()
        row = {"step": step, "epoch": f"{step / max(1, len(runner.train_dataloader)):.4f}",
               "loss": _num(outputs.get("loss")), "lr": _num(next(iter(lr.values()))[0]),
               "knn_top1": _num(knn_hook.last[1]) if knn_now else "",
               "pos_sim": _num(outputs.get("pos_sim")), "neg_sim": _num(outputs.get("neg_sim"))}
        row.update({name: _num(outputs.get(name)) for name in DIAGNOSTIC_COLUMNS})
        grad_norm = runner.message_hub.log_scalars.get("train/grad_norm")  # only with a clip_grad
        if grad_norm is not None:
            row["grad_norm"] = _num(grad_norm.current())
        self.curves.append(row)


@HOOKS.register_module()
class QueuePrefillHook(Hook):
    """Before the first step, fills the queue with f_k's keys of real training views instead of its random
    initial vectors (issue 23's ablation: is the queue's random phase what lets the first steps collapse?).
    Registered by `pretrain.train` when the config says `queue_prefill=True` ([choice], off by default). The
    batches come from a loader of its own (same dataset, batch size and collate, images in an order of its own
    seed), so the training loader's order is untouched; a resumed run keeps its checkpointed queue."""

    priority = "VERY_HIGH"

    def __init__(self, seed: int = 1):
        self.seed = seed

    @torch.no_grad()
    def before_train(self, runner) -> None:
        if runner.iter:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        train = runner.train_dataloader
        loader = DataLoader(train.dataset, batch_size=train.batch_size, drop_last=True, num_workers=0,
                            sampler=RandomSampler(train.dataset, generator=torch.Generator().manual_seed(self.seed)),
                            collate_fn=train.collate_fn)
        model.train()
        started = time.perf_counter()
        filled = model.prefill_queue(loader)
        runner.logger.info(f"queue pre-filled with {filled} real keys of f_k in {time.perf_counter() - started:.1f} s")


@HOOKS.register_module()
class SyncFreeRuntimeInfoHook(RuntimeInfoHook):
    """mmengine's RuntimeInfoHook, except that the model's outputs reach the message hub only at logging steps.

    The stock hook turns every logged tensor into a Python number (`.item()`) after every iteration, which makes
    the host wait for the device each step. Here the outputs of the steps in between are kept as device tensors
    and handed over together, one host read per logging step (every `logger.interval` iterations, at the end of
    an epoch and at the last iteration), so the message hub holds the same per-iteration values as before. The
    check for a non-finite loss runs there too: it names the first bad step; a NaN that slipped in between has
    already reached the weights, which stay NaN, so stopping at the next logging step loses nothing that a
    per-step check would have kept (the last good checkpoint stays in the work dir)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pending: list[tuple[int, dict]] = []

    def before_train(self, runner) -> None:
        super().before_train(runner)
        logger = next((hook for hook in runner.hooks if isinstance(hook, LoggerHook)), None)
        self.interval = logger.interval if logger is not None else 1

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        step = runner.iter + 1
        if outputs is not None:
            self.pending.append((step, {key: value.detach() if isinstance(value, torch.Tensor) else value
                                        for key, value in outputs.items()}))
        if step % self.interval == 0 or step >= runner.max_iters or self.end_of_epoch(runner.train_dataloader,
                                                                                     batch_idx):
            self.flush(runner)

    def flush(self, runner) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        keys = [key for key in pending[0][1] if isinstance(pending[0][1][key], torch.Tensor)]
        values = {key: torch.stack([outputs[key].float().reshape(()) for _, outputs in pending]).tolist()
                  for key in keys}  # one host read for the whole stretch
        for index, (step, outputs) in enumerate(pending):
            loss = values.get("loss", [0.0])[index]
            if not math.isfinite(loss):
                raise FloatingPointError(f"non-finite loss {loss} at step {step}; training stopped, the last good "
                                         f"checkpoint is kept in the work dir")
            for key, value in outputs.items():
                runner.message_hub.update_scalar(f"train/{key}", values[key][index] if key in values else value)
