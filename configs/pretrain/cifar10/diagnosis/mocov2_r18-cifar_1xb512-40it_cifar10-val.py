# Issue 23's GPU regime on a CPU (configs/sweeps/cifar10_gpu_regime.py): the cifar10-gpu recipe, where MoCo-v2
# learned and LeOCLR did not separate positives from negatives on an H200 (small-image stem, batch 512, split BN 8,
# K 4096, m 0.99, τ 0.1, lr 0.06, bf16 autocast; results/cifar10-gpu/), as a short iteration-based run at constant
# lr on train_minus_val, with the diagnosis base's logging (every 10 steps; no kNN). bf16 comes from the sweep
# point's --amp bf16 (BF16OptimWrapper: the H200 run's AmpOptimWrapper needs a GPU).
_base_ = ['../_base_/mocov2_r18-cifar_cifar10.py']
profile = 'cifar10'
protocol_batch = None        # a diagnosis, not the protocol's run
iters = 40

model = dict(diagnostics=True)
train_dataloader = dict(dataset=dict(split='train_minus_val'))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters)
param_scheduler = [dict(type='LinearLR', start_factor=1.0, end_factor=1.0, by_epoch=False, begin=0, end=1)]
optim_wrapper = dict(clip_grad=dict(max_norm=1e9))  # never clips: makes mmengine compute the gradient norm
custom_hooks = []
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(by_epoch=False, interval=iters, max_keep_ckpts=1))
