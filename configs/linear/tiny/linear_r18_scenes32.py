# Tiny profile: the smoke linear protocol on the tiny scenes (32 px), 2 epochs.
_base_ = ['../smoke/linear_r18_scenes64.py']
profile = 'tiny'
data_root = 'data/scenes-tiny32'
eval_pipeline = dict(kind='eval', size=32, resize=None)
train_dataloader = dict(batch_size=16, num_workers=0,
                        dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
val_dataloader = dict(batch_size=16, num_workers=0,
                      dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
epochs = 2
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
param_scheduler = [dict(type='MultiStepLR', milestones=[1], gamma=0.1, by_epoch=True)]
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=48, feature_cache=True)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1), curves=dict(interval=1))
