# Profile `cifar10-gpu`, the equal-epoch study (issue 21): LeOCLR. The MoCo-v2 config of the study plus LeOCLR's
# method change, the same as in configs/pretrain/_base_/leoclr_r50_in1k.py (views and loss, nothing else); with
# the counter generator its two crops are the MoCo-v2 run's two crops of the same seed.
_base_ = ['./mocov2_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
