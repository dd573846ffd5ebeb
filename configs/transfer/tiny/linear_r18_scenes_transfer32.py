# Tiny profile: the tiny linear protocol on the tiny transfer scenes (other palette, 32 px).
_base_ = ['../../linear/tiny/linear_r18_scenes32.py']
stage = 'transfer'
dataset_name = 'scenes_transfer'
data_root = 'data/scenes_transfer-tiny32'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
