"""Issue 21: a training step reads nothing back from the device between logging steps.

Real Runner iterations (pretrain.train, the device-views loader with the counter generator and the dense colour
ops, bf16 autocast) run under a TorchDispatchMode that records every op that makes the host wait for a value
(`.item()`/`int()`/`bool()` of a tensor, `nonzero`, `masked_select`, boolean-mask indexing). It is armed from the
end of a logging step's predecessor to the end of every non-logging step, so it sees the batch's views, forward,
backward, optimiser step and every hook of those steps; logging steps may read."""
import traceback

import pytest
import torch
from mmengine.hooks import Hook
from torch.utils._python_dispatch import TorchDispatchMode

from pretrain import train
from pretrain.datasets.scenes import generate

aten = torch.ops.aten
HOST_READS = {aten._local_scalar_dense, aten.nonzero, aten.is_nonzero, aten.masked_select}
CONFIG = "configs/pretrain/tiny/mocov2_r18_1xb8-4it-deviceviews_scenes32.py"
ITERS, INTERVAL = 6, 3


def where_from() -> str:
    """The innermost caller outside torch: the line that asked for the value."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/torch/" not in frame.filename:
            return f"{frame.filename.split('/')[-1]}:{frame.lineno} {frame.line}"
    return "?"


class HostReadGuard(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.armed, self.step, self.caught = False, 0, []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if self.armed:
            packet = func._overloadpacket
            indices = args[1] if packet in (aten.index, aten.index_put, aten.index_put_) and len(args) > 1 else ()
            boolean_index = any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices or ())
            if packet in HOST_READS or boolean_index:
                self.caught.append((self.step, str(func), where_from()))
        return func(*args, **(kwargs or {}))


class ArmBetweenLoggingSteps(Hook):
    priority = "LOWEST"  # after every other hook of the step: they are checked too

    def __init__(self, guard):
        self.guard = guard

    def _set(self, step, runner):
        self.guard.step = step
        self.guard.armed = step % INTERVAL != 0 and step < runner.max_iters

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._set(runner.iter + 1, runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._set(runner.iter + 2, runner)  # the next batch is fetched before its before_train_iter

    def after_train(self, runner):
        self.guard.armed = False


@pytest.mark.parametrize("method", ["mocov2", "leoclr"])
def test_steps_between_logging_steps_read_nothing_back(tmp_path, monkeypatch, method):
    from mmengine.runner import Runner

    generate(tmp_path / "data" / "scenes-tiny32", seed=0, size=60, image_size=32, workers=1)
    guard = HostReadGuard()
    build = Runner.from_cfg.__func__

    def from_cfg(cls, cfg):
        runner = build(cls, cfg)
        runner.register_hook(ArmBetweenLoggingSteps(guard))
        return runner

    monkeypatch.setattr(Runner, "from_cfg", classmethod(from_cfg))
    options = [f"train_cfg.max_iters={ITERS}", f"default_hooks.logger.interval={INTERVAL}",
               f"default_hooks.curves.interval={INTERVAL}", f"default_hooks.checkpoint.interval={ITERS}",
               "train_dataloader.dataset.photometric=dense", "custom_hooks=[]"]
    if method == "leoclr":
        options += ["model.type=LeOCLR", "train_dataloader.dataset.views=[original,crop,crop]"]
    with guard:
        assert train.main([CONFIG, "--data-root", str(tmp_path / "data"), "--work-dir", str(tmp_path / "run"),
                           "--amp", "bf16", "--cfg-options", *options]) == 0
    checked = {step for step in range(1, ITERS + 1) if step % INTERVAL and step < ITERS}
    assert len(checked) >= 3
    assert guard.caught == [], f"host reads between logging steps: {guard.caught[:10]}"


def test_a_non_finite_loss_stops_at_the_next_logging_step():
    """The check moved from every step to the logging steps; it names the first non-finite step."""
    from types import SimpleNamespace

    from mmengine.logging import MessageHub

    from pretrain.hooks import SyncFreeRuntimeInfoHook

    hook = SyncFreeRuntimeInfoHook()
    hook.interval = 3
    runner = SimpleNamespace(iter=0, max_iters=10, train_dataloader=list(range(100)),
                             message_hub=MessageHub.get_instance("sync-free-test"))
    for step, loss in enumerate([1.0, float("nan"), 2.0]):
        runner.iter = step
        if step < 2:
            hook.after_train_iter(runner, step, outputs={"loss": torch.tensor(loss)})
            assert len(hook.pending) == step + 1          # nothing read back before the logging step
        else:
            with pytest.raises(FloatingPointError, match="at step 2; .*last good checkpoint"):
                hook.after_train_iter(runner, step, outputs={"loss": torch.tensor(loss)})
