# Profile `cifar10-gpu`: MoCo-v2 with the [moco-cifar] recipe (small-image stem, batch 512) on one GPU, data and
# views resident on the GPU, bf16 + channels_last, stopped after 2 minutes of training (the record's `epochs`
# says how far it got; the cosine runs over `epochs`, so a run stopped by the cap ends before its cosine does).
_base_ = ['./_base_/mocov2_r18-cifar_cifar10.py']
profile = 'cifar10-gpu'
data_device = 'cuda'
epochs = 30                  # GPU: the cosine's length; the time cap decides where a run stops. Measured on an H200
                             # (2026-11-27): MoCo-v2 14 epochs, LeOCLR 9 in the 2 minutes (views ≈ half of each step)
train_time_s = 120

model = dict(channels_last=True)
train_dataloader = dict(dataset=dict(device=data_device))
optim_wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16')
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root='data/cifar10', bank_split='train', query_split='test',
                     dataset=dict(type='InMemoryEval', device=data_device), k=200, temperature=0.1,
                     interval=1, by_epoch=True, batch_size=2000),
                dict(type='TrainTimeBudgetHook', max_train_s=train_time_s)]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1))
