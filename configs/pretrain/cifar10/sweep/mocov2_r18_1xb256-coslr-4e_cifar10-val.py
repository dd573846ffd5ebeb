# The base of the cifar10 CPU sweep (issue #12; configs/sweeps/cifar10.py, python -m downstream.sweep): the CPU
# MoCo-v2 config trained on `train_minus_val` (45,000 images) and its kNN monitor on the held-out `val` split
# (5,000 images, 10 % of each training class, seed 0: suite.cifar.select_split), so that settings are chosen
# without the test split. Each sweep point moves stem, lr, τ or epochs with --cfg-options.
_base_ = ['../mocov2_r18_1xb256-coslr-20e_cifar10.py']
epochs = 4                   # ≈ 10 (MoCo-v2) / 13 (LeOCLR) quiet CPU-minutes of training at the standard stem
train_time_s = 1800          # a guard, not the setting: points are defined in epochs (results do not depend on
                             # the machine's load); the record's `train_s` says what each took

train_dataloader = dict(dataset=dict(split='train_minus_val'))
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root='data/cifar10', bank_split='train_minus_val',
                     query_split='val', dataset=dict(type='InMemoryEval'), k=200, temperature=0.1,
                     interval=2, by_epoch=True, batch_size=1000),   # every 2nd epoch and the last (~1.2 min each)
                dict(type='TrainTimeBudgetHook', max_train_s=train_time_s)]
