# LeOCLR on issue 23's diagnosis base: the MoCo-v2 diagnosis config plus LeOCLR's method change (views and loss),
# as configs/pretrain/cifar10/sweep/leoclr_r18_1xb256-coslr-4e_cifar10-val.py makes it.
_base_ = ['./mocov2_r18_1xb256-80it_cifar10-val.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
