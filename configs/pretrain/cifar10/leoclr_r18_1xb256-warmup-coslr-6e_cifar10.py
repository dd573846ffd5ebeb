# Profile `cifar10` (CPU) at batch 256 with the warm-up fix: LeOCLR. The MoCo-v2 config of this setting plus
# LeOCLR's method change (views and loss, nothing else).
_base_ = ['./mocov2_r18_1xb256-warmup-coslr-6e_cifar10.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
