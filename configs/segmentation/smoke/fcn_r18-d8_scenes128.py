# Smoke profile: FCN R18-d8 on the embedded scenes' semantic masks (128 px, 12 classes + background) in CPU
# minutes. Proves the segmentation pipeline end to end; makes no scientific claim. Suite extension, like the
# paper config (configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py); changes are scale only.
#   python -m downstream.segmentation configs/segmentation/smoke/fcn_r18-d8_scenes128.py --checkpoint CKPT
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-128/'
# mask value 0 = background, k = pretrain.datasets.scenes_render.CLASSES[k - 1], 255 = ignore
classes = ('background', 'arrow', 'circle', 'crescent', 'cross', 'diamond', 'heart', 'hexagon', 'lshape', 'ring',
           'square', 'star', 'triangle')
crop_size = (96, 96)           # smoke: the 128-px scenes at 96 px (paper: 512 crops), so the default run fits 15 min
iters = 40   # smoke: 40 iterations (the default run fits 15 min on the slower 2-core machine; 50 until issue
             # 19's budget cut)
norm_cfg = dict(type='BN', requires_grad=True)  # smoke: one CPU process (SyncBN would revert to BN anyway)

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        type='ResNet',         # torchvision-style stem, as the paper config
        depth=18,              # smoke: R18
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=None),        # filled by the runner
    decode_head=dict(in_channels=512, channels=128, num_classes=len(classes), norm_cfg=norm_cfg),  # smoke: R18 widths
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=len(classes), norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),  # smoke: no PhotoMetricDistortion (CPU time)
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
scenes = dict(type='BaseSegDataset', data_root=data_root, metainfo=dict(classes=classes), img_suffix='.png',
              seg_map_suffix='.png', reduce_zero_label=False)
train_dataloader = dict(
    batch_size=8,              # smoke: one CPU process, batch 8 (paper 16)
    num_workers=1,             # smoke: 2 cores, one for loading
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, **scenes, data_prefix=dict(img_path='train', seg_map_path='semantic/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(_delete_=True, **scenes, data_prefix=dict(img_path='val', seg_map_path='semantic/val'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# smoke: lr 0.05 (paper 0.01): a few hundred iterations; at 0.01 the model still labelled nearly everything background
# (mIoU 7.3 vs 9.7 at 0.05 with a 20-iteration LeOCLR checkpoint)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=iters // 2, max_keep_ckpts=1, save_last=True))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0, deterministic=False)
