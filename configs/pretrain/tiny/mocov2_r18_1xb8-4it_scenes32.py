# Tiny profile (CI's end-to-end run): the smoke MoCo-v2 config on 48 scenes at 32 px for 4 iterations. It proves
# the wiring from a fresh clone (data → pretraining → export → every downstream stage → report); its numbers mean
# nothing and are never committed. Only scale changes.
_base_ = ['../smoke/mocov2_r18_1xb64-100it_scenes64.py']
profile = 'tiny'
data_root = 'data/scenes-tiny32'
iters = 4

model = dict(queue_size=16, bn_splits=2)       # tiny: ≤ 1/3 of 48 images; 2 BN splits of 4
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,  # tiny: no worker process to start
    dataset=dict(data_root=data_root, size=32, augment=dict(blur_sigma=(0.015, 0.29))))  # σ scaled to 32 px
train_cfg = dict(max_iters=iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=iters, by_epoch=False, begin=0, end=iters)]
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=2))
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='val',
                     size=32, bank_samples=48, query_samples=12, interval=iters, batch_size=48)]
