# LeOCLR in issue 23's paper regime on a CPU: the MoCo-v2 config of this regime plus LeOCLR's method change.
_base_ = ['./mocov2_r50_1xb256-100it-64px_cifar10-val.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
