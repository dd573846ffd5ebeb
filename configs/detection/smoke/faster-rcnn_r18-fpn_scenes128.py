# Smoke profile: Faster R-CNN R18-FPN on the embedded scenes (128 px, COCO json) in CPU minutes. It proves the
# detection pipeline end to end (checkpoint -> mmdet -> AP in the record) and makes no scientific claim.
# Changes from the paper protocol (faster-rcnn_r50-c4_24k_voc0712.py) are scale only, one comment each.
#   python -m downstream.detection configs/detection/smoke/faster-rcnn_r18-fpn_scenes128.py --checkpoint CKPT
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-128/'
# pretrain.datasets.scenes_render.CLASSES (COCO category ids 1..12, in this order)
classes = ('arrow', 'circle', 'crescent', 'cross', 'diamond', 'heart', 'hexagon', 'lshape', 'ring', 'square',
           'star', 'triangle')
iters = 40   # smoke: 40 iterations at 96 px (≈ 0.5 s each on 2 cores), so that the default run fits 15 min on
             # the slower machine (50 until issue 19's budget cut: it proves the pipeline, not a detector)
norm_cfg = dict(type='BN', requires_grad=True)  # smoke: one CPU process (SyncBN would revert to BN anyway)

model = dict(
    backbone=dict(
        depth=18,              # smoke: R18 (CPU minutes)
        frozen_stages=-1,      # as the paper protocol: everything fine-tuned, BN statistics updated
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=None),        # filled by the runner (base: torchvision://resnet50)
    neck=dict(in_channels=[64, 128, 256, 512],
              out_channels=128),  # smoke: FPN instead of C4 (C4 runs res5 per RoI: 40 s/iteration on 2 cores)
    rpn_head=dict(in_channels=128, feat_channels=128),  # smoke: narrower heads
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=128,
            roi_layer=dict(sampling_ratio=2)),  # smoke: 2x2 samples per bin (adaptive: RoIAlign's CPU backward
                                                # dominated the step)
        bbox_head=dict(in_channels=128, fc_out_channels=256,  # smoke: 256-wide fc instead of 1024
                       num_classes=len(classes))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=100),  # smoke: 100 proposals per image (2000)
        rcnn=dict(sampler=dict(num=64))),                  # smoke: 64 sampled RoIs per image (512)
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))  # smoke: 100 proposals at test time (1000)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(96, 96), keep_ratio=True),  # smoke: the 128-px scenes at 96 px (paper: 480-800)
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(96, 96), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,              # smoke: one CPU process, batch 8 (paper 16)
    num_workers=1,             # smoke: 2 cores, one for loading
    persistent_workers=True,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True, type='CocoDataset', data_root=data_root, metainfo=dict(classes=classes),
        ann_file='annotations/instances_train.json', data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=True, min_size=8), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        _delete_=True, type='CocoDataset', data_root=data_root, metainfo=dict(classes=classes),
        ann_file='annotations/instances_val.json', data_prefix=dict(img=''), test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# COCO-style box AP: bbox_mAP (0.50:0.95) -> AP, bbox_mAP_50 -> AP50, bbox_mAP_75 -> AP75
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox')
test_evaluator = val_evaluator

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=12),  # smoke: 12-iteration warmup
    dict(type='MultiStepLR', begin=0, end=iters, by_epoch=False, milestones=[int(iters * 0.75)], gamma=0.1),
]
# smoke: lr 0.01 for batch 8 (the protocol's 0.02 at batch 16, scaled linearly; 0.02 diverged here)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=iters // 2, max_keep_ckpts=1, save_last=True))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0, deterministic=False)
