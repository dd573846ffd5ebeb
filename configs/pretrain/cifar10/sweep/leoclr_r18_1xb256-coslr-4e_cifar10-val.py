# The LeOCLR base of the cifar10 CPU sweep: the MoCo-v2 sweep base plus LeOCLR's method change, as
# configs/pretrain/cifar10/leoclr_r18_1xb64-coslr-6e_cifar10.py makes it (views and loss, nothing else).
_base_ = ['./mocov2_r18_1xb256-coslr-4e_cifar10-val.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
