# Profile `cifar10` (CPU): LeOCLR. The MoCo-v2 config of this profile plus LeOCLR's method change, the same as in
# configs/pretrain/_base_/leoclr_r50_in1k.py (views and loss, nothing else).
_base_ = ['./mocov2_r18_1xb64-coslr-6e_cifar10.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
