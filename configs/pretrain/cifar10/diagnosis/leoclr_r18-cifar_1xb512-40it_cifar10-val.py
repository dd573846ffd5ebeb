# LeOCLR in issue 23's GPU regime on a CPU: the MoCo-v2 config of this regime plus LeOCLR's method change.
_base_ = ['./mocov2_r18-cifar_1xb512-40it_cifar10-val.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
