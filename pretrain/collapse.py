"""An early warning in every pretraining (contracts v5): has the run stopped separating positives from negatives?

Two failures are on record (issue 23, `results/cifar10/diagnosis/`):
- **collapse**: every embedding points one way — the negative cosine (query vs queue) goes to ~1 with the positive
  one, and the loss sits at chance, ln(K+1) per term (the CPU regime at batch 256 without an lr warm-up, within
  20-30 steps);
- **no separation**: the embeddings stay spread but a query is barely closer to its key than to the queue — the
  positive − negative cosine gap stays near 0 for hundreds of steps (LeOCLR on the GPU at batch 512, 9 epochs).
The watch reads the logged `pos_sim` / `neg_sim` only once the queue holds real keys (before that the negatives
are the random initial vectors). Thresholds come from the committed curves: the six batch-64 CPU runs and the GPU
MoCo-v2 run learned, and their longest stretch with a gap < 0.05 is 60 steps (LeOCLR seed 0, an early dip it
climbed out of) — a fifth of `stall_steps`; the GPU LeOCLR run's is ~420 steps.

`watch` is a pure function, so a test replays it on committed curves; `CollapseWatchHook` feeds it during training
(registered by `pretrain.train` outside the config, so config hashes do not change) and writes what it saw into
the record.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

COLLAPSE_NEG = 0.95        # negative cosine at or above: the embeddings point one way
COLLAPSE_STEPS = 30        # ... for this many iterations after the queue filled
STALL_GAP = 0.05           # positive − negative cosine below: no separation
STALL_STEPS = 200          # ... for this many iterations after the queue filled
SWITCH = ("an lr warm-up: a LinearLR scheduler over the first iterations (REPRODUCE §3.11, the cifar10 batch-256 "
          "configs; results/cifar10/diagnosis/)")


@dataclass
class Verdict:
    state: str                      # ok | collapse | no_separation | too_short
    first_step: int | None          # where the flagged stretch began
    steps: int                      # its length in iterations
    queue_full_step: int
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def queue_full_step(queue_size: int, global_batch: int, keys_per_image: int) -> int:
    """The first step at which the queue holds no initial random vector (MoCo-v2 enqueues one key per image,
    LeOCLR two)."""
    return math.ceil(queue_size / max(1, global_batch * keys_per_image))


class Watch:
    """The longest stretch of consecutive logged points after `queue_full` that is collapsed (neg ≥
    `collapse_neg`) or unseparated (pos − neg < `stall_gap`), measured in iterations from its first to its last
    point, kept up to date point by point (a run logs hundreds of thousands of points: no rescans); flagged when
    it reaches `collapse_steps` / `stall_steps`. Collapse is named first (it is the sharper diagnosis)."""

    def __init__(self, queue_full: int, *, collapse_neg=COLLAPSE_NEG, collapse_steps=COLLAPSE_STEPS,
                 stall_gap=STALL_GAP, stall_steps=STALL_STEPS):
        self.queue_full, self.collapse_neg, self.stall_gap = queue_full, collapse_neg, stall_gap
        self.limits = {"collapse": collapse_steps, "no_separation": stall_steps}
        self.start = {"collapse": None, "no_separation": None}   # where the current bad stretch began
        self.best = {"collapse": None, "no_separation": None}    # (first step, length) of the longest one
        self.last = 0

    def add(self, step, pos, neg) -> None:
        step, pos, neg = int(step), float(pos), float(neg)
        if step <= self.queue_full:
            return
        self.last = step
        for name, bad in (("collapse", neg >= self.collapse_neg), ("no_separation", pos - neg < self.stall_gap)):
            if not bad:
                self.start[name] = None
                continue
            self.start[name] = step if self.start[name] is None else self.start[name]
            if self.best[name] is None or step - self.start[name] > self.best[name][1]:
                self.best[name] = (self.start[name], step - self.start[name])

    def verdict(self) -> Verdict:
        found = {name: best for name, best in self.best.items()
                 if best is not None and best[1] >= self.limits[name]}
        if "collapse" in found:
            first, steps = found["collapse"]
            return Verdict("collapse", first, steps, self.queue_full,
                           f"collapse from step {first} for {steps} steps: negative cosine ≥ {self.collapse_neg} "
                           f"(every embedding points one way; loss at chance). Likely cause: full lr while the "
                           f"queue still held its random initial keys. Switch: {SWITCH}")
        if "no_separation" in found:
            first, steps = found["no_separation"]
            return Verdict("no_separation", first, steps, self.queue_full,
                           f"no separation from step {first} for {steps} steps: positive − negative cosine < "
                           f"{self.stall_gap} (the run is not learning to tell a key from the queue). Likely cause: "
                           f"the early-phase dynamics (see the diagnosis in REPRODUCE §3.11). Switch: {SWITCH}")
        logged = max(0, self.last - self.queue_full)
        if logged < self.limits["no_separation"]:
            return Verdict("too_short", None, 0, self.queue_full,
                           f"{logged} logged steps after the queue filled (step {self.queue_full}): fewer than "
                           f"{self.limits['no_separation']}, so only a collapse could be flagged")
        return Verdict("ok", None, 0, self.queue_full, "positives separated from negatives after the queue filled")


def watch(points, queue_full: int, **thresholds) -> Verdict:
    """`points`: (step, pos_sim, neg_sim) in step order, as logged; the `Watch` verdict over all of them."""
    state = Watch(queue_full, **thresholds)
    for step, pos, neg in points:
        state.add(step, pos, neg)
    return state.verdict()


def watch_curves(rows, queue_full: int, **kwargs) -> Verdict:
    """`watch` on the rows of a `curves.csv` (dicts; rows without similarities skipped)."""
    return watch([(r["step"], r["pos_sim"], r["neg_sim"]) for r in rows if r.get("pos_sim") and r.get("neg_sim")],
                 queue_full, **kwargs)


class CollapseError(RuntimeError):
    """Raised by the hook with `stop=True` (`pretrain.train --stop-on-collapse`)."""


def collapse_watch_hook():
    """The mmengine hook, built lazily so that importing this module needs no mmengine (the replay test)."""
    from mmengine.dist import is_main_process
    from mmengine.hooks import Hook
    from mmengine.model import is_model_wrapper

    class CollapseWatchHook(Hook):
        priority = "LOW"

        def __init__(self, interval: int = 10, stop: bool = False):
            self.interval, self.stop = interval, stop
            self.state, self.verdict, self.warned = None, None, False

        def before_train(self, runner) -> None:
            import csv
            from pathlib import Path

            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            batch = runner.train_dataloader.batch_size * runner.world_size
            self.state = Watch(queue_full_step(int(model.queue.shape[1]), batch, model.keys_per_image))
            curves = Path(runner.work_dir) / "curves.csv"   # a resumed run: what was logged before counts too
            if curves.is_file():
                with open(curves, newline="") as handle:
                    for r in csv.DictReader(handle):
                        if r.get("pos_sim") and r.get("neg_sim") and int(r["step"]) <= runner.iter:
                            self.state.add(r["step"], r["pos_sim"], r["neg_sim"])

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            step = runner.iter + 1
            outputs = outputs or {}
            if step % self.interval or "pos_sim" not in outputs or "neg_sim" not in outputs:
                return
            self.state.add(step, outputs["pos_sim"], outputs["neg_sim"])
            self.verdict = self.state.verdict()
            if self.verdict.state in ("collapse", "no_separation") and not self.warned:
                self.warned = True
                if is_main_process():
                    runner.logger.warning(f"COLLAPSE WATCH: {self.verdict.message}")
                if self.stop:
                    raise CollapseError(f"--stop-on-collapse: {self.verdict.message}")

    return CollapseWatchHook
