# Profile `cifar10` (CPU): MoCo-v2 on real images (CIFAR-10; here the JPEG q75 copy) in CPU minutes. The [moco-cifar]
# recipe at the scale the CPU sweep chose on held-out val (configs/sweeps/cifar10.py; the table and the reasons in
# results/cifar10/sweep/sweep.md). Each change is a config value (contracts.md §1: scale only).
_base_ = ['./_base_/mocov2_r18-cifar_cifar10.py']
profile = 'cifar10'
protocol_batch = None        # CPU: batch 64 by choice (below), so no batch guard
epochs = 6                   # CPU: 18-23 minutes of training on 2 cores (train_s of the records that carry it,
                             # results/cifar10/records/pretrain/; the goal: ≤ 30), plus the full-bank kNN monitor
                             # each epoch (the records' wall_s − train_s)

model = dict(
    stem='standard',         # CPU: 7x7/2 conv1 + max-pool trains ≈ 10-14x faster at 32 px than the small-image
                             # stem, 'standard_nomaxpool' ≈ 3x slower than it (estimates from a plain-PyTorch loop,
                             # shared/smoke-findings.md, not records of ours)
    bn_splits=2)             # CPU: 32 images per SplitBatchNorm split, MoCo's per-GPU batch
train_dataloader = dict(
    batch_size=64,           # CPU sweep: at batch 256 both methods collapse first (every embedding one direction)
                             # and LeOCLR stays there; at 64 neither does, with 4x the steps per epoch. lr scales
                             # to 0.0075 (auto_scale_lr, 0.06 per 512)
    # CPU: the batched views run in one loader process (one thread, beside the model's): many small tensor ops
    # in the training process stall its OpenMP threads on a busy 2-core machine
    num_workers=1, persistent_workers=True)
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
