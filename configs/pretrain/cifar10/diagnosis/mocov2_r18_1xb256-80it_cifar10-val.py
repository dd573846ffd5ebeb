# Issue 23's diagnosis base (configs/sweeps/cifar10_diagnosis.py): the CPU sweep's batch-256 regime, where both
# methods collapsed within 20-30 steps (standard stem, 32 px, split BN 8 × 32, lr 0.03 applied, K 4096, m 0.99,
# τ 0.1, train_minus_val), as a short iteration-based run at constant lr. Every 10 steps the curves get the
# per-term losses, positive / negative cosines, the key batch's mean pairwise cosine, the query embeddings'
# effective rank and the gradient norm; no kNN monitor (the question is the first hundred steps' dynamics).
_base_ = ['../sweep/mocov2_r18_1xb256-coslr-4e_cifar10-val.py']
iters = 80

model = dict(diagnostics=True)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters)
# One scheduler, a no-op here; a sweep point makes it a warm-up with --cfg-options param_scheduler.0.start_factor
# / param_scheduler.0.end (the lr then stays constant, as in the measurements of shared/smoke-findings.md).
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=1.0, by_epoch=False, begin=0, end=1)]
optim_wrapper = dict(clip_grad=dict(max_norm=1e9))  # never clips: makes mmengine compute the gradient norm
custom_hooks = []
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=iters, max_keep_ckpts=1))
