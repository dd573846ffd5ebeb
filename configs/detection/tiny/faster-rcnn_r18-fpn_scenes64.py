# Tiny profile: the smoke detector on the tiny scenes (64 px images, resized to the smoke 128 px), 2 iterations.
_base_ = ['../smoke/faster-rcnn_r18-fpn_scenes128.py']
profile = 'tiny'
data_root = 'data/scenes-tiny64/'
iters = 2
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=6, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_iters=iters, val_interval=iters)
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1),
                   dict(type='MultiStepLR', begin=0, end=iters, by_epoch=False, milestones=[1], gamma=0.1)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
