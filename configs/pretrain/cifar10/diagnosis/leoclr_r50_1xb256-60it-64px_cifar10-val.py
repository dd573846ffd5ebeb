# LeOCLR in issue 23's paper regime on a CPU: the MoCo-v2 config of this regime plus LeOCLR's method change, for
# 60 steps: LeOCLR enqueues both crops, so its queue's random phase is 32 steps (MoCo-v2's 64) and 60 steps cover
# it 1.9× (a LeOCLR step of this regime costs ~20 CPU-seconds).
_base_ = ['./mocov2_r50_1xb256-100it-64px_cifar10-val.py']
iters = 60
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
train_cfg = dict(max_iters=iters)
default_hooks = dict(checkpoint=dict(interval=iters))
