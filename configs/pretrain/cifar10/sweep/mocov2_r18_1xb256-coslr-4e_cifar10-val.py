# The base of the cifar10 CPU sweep (issue #12; configs/sweeps/cifar10.py, python -m suite.sweep): MoCo-v2 with
# the [moco-cifar] recipe at the sweep's starting point (the cifar10 CPU profile's first settings: standard stem,
# batch 256, lr 0.06 per 512, τ 0.1), trained on `train_minus_val` (45,000 images) with its kNN monitor on the held-out
# `val` split (5,000 images, 10 % of each training class, seed 0: pretrain.datasets.cifar.select_split), so that settings are
# chosen without the test split. Each sweep point moves stem, batch, lr, τ or epochs with --cfg-options. The
# starting point is written out here, not inherited from the profile's config, so that the profile can take the
# sweep's choice without changing the points already run.
_base_ = ['../_base_/mocov2_r18-cifar_cifar10.py']
profile = 'cifar10'
protocol_batch = None        # CPU: batch by choice, no batch guard
epochs = 4                   # ≈ 10 (MoCo-v2) / 13 (LeOCLR) quiet CPU-minutes of training at batch 256
train_time_s = 1800          # a guard, not the setting: points are defined in epochs (results do not depend on
                             # the machine's load); the record's `train_s` says what each took

model = dict(stem='standard')
train_dataloader = dict(batch_size=256, num_workers=1, persistent_workers=True,
                        dataset=dict(split='train_minus_val'))
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root='data/cifar10', bank_split='train_minus_val',
                     query_split='val', dataset=dict(type='InMemoryEval'), k=200, temperature=0.1,
                     interval=2, by_epoch=True, batch_size=1000),   # every 2nd epoch and the last (~1.2 min each)
                dict(type='TrainTimeBudgetHook', max_train_s=train_time_s)]
