"""An iteration-based train loop whose resume skips data by moving the sampler, not by loading batches."""
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator


@LOOPS.register_module()
class ResumableIterLoop(IterBasedTrainLoop):
    """mmengine's IterBasedTrainLoop, except that on resume a sampler with `skip()` (SeededInfiniteSampler) is
    advanced to the resumed iteration; the parent fetches and discards every trained batch instead."""

    def run(self):
        sampler = self.dataloader.sampler
        if self._iter > 0 and hasattr(sampler, "skip"):
            sampler.skip(self._iter * self.dataloader.batch_size)
            self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
            self.runner.logger.info(f"resuming at iteration {self._iter}: sampler advanced, no data re-read")
        elif self._iter > 0:
            return super().run()
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model
