# Tiny profile: the smoke segmenter on the tiny scenes (64 px images, resized to the smoke 128 px crops), 2 iterations.
_base_ = ['../smoke/fcn_r18-d8_scenes128.py']
profile = 'tiny'
data_root = 'data/scenes-tiny64/'
iters = 2
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=6, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=iters, by_epoch=False)]
train_cfg = dict(max_iters=iters, val_interval=iters)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
