"""bf16 mixed precision without a loss scaler, on any device.

mmengine's `AmpOptimWrapper` keeps a dynamic `GradScaler` even for bf16 (whose exponent range is float32's, so
nothing needs scaling) and refuses to run without a GPU. `BF16OptimWrapper` is the plain `OptimWrapper` with the
forward under `torch.autocast(<the model's device>, bfloat16)`: what `--amp bf16` selects, and what lets the
GPU's precision be reproduced on a CPU (issue 23's precision ablation)."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device, dtype=torch.bfloat16):
            yield
