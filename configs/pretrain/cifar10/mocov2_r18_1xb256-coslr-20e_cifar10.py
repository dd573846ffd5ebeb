# Profile `cifar10` (CPU): MoCo-v2 on real images (CIFAR-10; here the JPEG q75 copy) in CPU hours. The [moco-cifar]
# recipe with the changes a 2-core CPU needs, each a config value the sweep may move (contracts.md §1: scale only).
_base_ = ['./_base_/mocov2_r18-cifar_cifar10.py']
profile = 'cifar10'
protocol_batch = None        # CPU: batch 256 by choice (below), so no batch guard
epochs = 20                  # CPU: a starting point for the sweep (≈ 2-4 min per MoCo-v2 epoch + 1.5 min kNN)

model = dict(
    stem='standard')         # CPU: 7x7/2 conv1 + max-pool trains ≈ 10x faster at 32 px than the small-image stem
                             # (shared/smoke-findings.md); 'standard_nomaxpool' is the middle ground (≈ 3x slower)
train_dataloader = dict(
    batch_size=256,          # CPU: twice the updates per epoch for a short run; lr scales to 0.03 (auto_scale_lr)
    # CPU: the batched views run in one loader process (one thread, beside the model's): many small tensor ops
    # in the training process stall its OpenMP threads on a busy 2-core machine
    num_workers=1, persistent_workers=True)
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
