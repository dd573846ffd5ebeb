# Profile `cifar10` (CPU) at batch 256 with the fix of issue 23, a [choice] applied to both methods alike: a linear
# lr warm-up (1 % → 100 % over the first `warmup_iters` iterations), then the batch-64 config's cosine. Without it
# both methods collapse at this batch within 20-30 steps, every embedding one direction, and stay there; with it
# neither does (results/cifar10/diagnosis/diagnosis.md, points `base` and `warmup*`). The batch-64 rows keep their
# own configs (no warm-up), so the archived study stays what it was.
_base_ = ['./mocov2_r18_1xb64-coslr-6e_cifar10.py']
epochs = 6                   # as the batch-64 config (≈ 1,170 iterations at batch 256)
warmup_iters = 40            # [choice] the diagnosis' recorded warm-up; see its table for the shorter ones

model = dict(bn_splits=8)    # 32 images per SplitBatchNorm split, as at batch 64
train_dataloader = dict(batch_size=256)  # lr 0.03 applied (auto_scale_lr: 0.06 per 512)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, end_factor=1.0, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
