# Smoke profile, transfer: the smoke linear protocol (configs/linear/smoke/linear_r18_scenes64.py, inherited
# whole) on the transfer variant of the generated scenes (same 12 classes, another seed and another
# colour/texture palette), i.e. frozen features evaluated on a shifted distribution. Proves the pipeline,
# makes no scientific claim.
_base_ = ['../../linear/smoke/linear_r18_scenes64.py']
stage = 'transfer'
dataset_name = 'scenes_transfer'
data_root = 'data/scenes_transfer-64'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
