# Tiny profile: the smoke semi-supervised protocol on the tiny scenes (32 px; 10 % of 48 images = 12, one per
# class), 1 epoch.
_base_ = ['../smoke/finetune_r18_10pct_scenes64.py']
profile = 'tiny'
data_root = 'data/scenes-tiny32'
train_pipeline = dict(kind='train', size=32, scale=(0.08, 1.0), flip=True)
eval_pipeline = dict(kind='eval', size=32, resize=None)
train_dataloader = dict(batch_size=12, num_workers=0, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=12, num_workers=0,
                      dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
epochs = 1
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
param_scheduler = [dict(type='MultiStepLR', milestones=[1], gamma=0.2, by_epoch=True)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
