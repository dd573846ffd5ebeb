# Mask R-CNN R50-C4 on COCO 2017, 1x schedule: MoCo's COCO C4 protocol at mmselfsup's 1x schedule
# (mmselfsup configs/benchmarks/detectron2/coco_R_50_C4_1x_moco.yaml: the moco repo's coco_R_50_C4_2x_moco.yaml,
# which has 180k iterations with steps at 120k/160k, cut to 90k iterations, x0.1 at 60k and 80k; batch 16, lr
# 0.02, train shorter side 640..800, test 800, SyncBN, extra BN after res5), ported to MMDetection 3.3. A suite
# extension (the paper's setup for COCO is not stated). Paper profile only.
#
#   python -m downstream.detection configs/detection/mask-rcnn_r50-c4_1x_coco.py --checkpoint CKPT \
#       --cfg-options train_dataloader.batch_size=16          # one GPU; or torchrun 8 x 2 with --launcher pytorch
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py'
custom_imports = dict(imports=['downstream.detection', 'downstream.precise_bn'],  # ResLayerExtraNorm, PreciseBNHook
                      allow_failed_imports=False)

profile = 'paper'
dataset_name = 'coco'
data_root = 'data/coco/'
norm_cfg = dict(type='SyncBN', requires_grad=True)  # reverts to BN on one process: put all 16 images there

model = dict(
    data_preprocessor=dict(  # torchvision RGB normalisation, inside the model
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32),
    backbone=dict(frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, style='pytorch',
                  init_cfg=None),  # filled by the runner (base: open-mmlab://detectron2/resnet50_caffe)
    roi_head=dict(
        # the mmdet base leaves res5 at a Kaiming init here; the runner loads `layer4.*` from the checkpoint
        shared_head=dict(type='ResLayerExtraNorm', norm_cfg=norm_cfg, norm_eval=False, style='pytorch',
                         init_cfg=None)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(640, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,              # per GPU: 8 x 2 = 16
    num_workers=4,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=4, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json', metric=['bbox', 'segm'])
test_evaluator = val_evaluator

max_iters = 90000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),  # detectron2 default warmup
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[60000, 80000], gamma=0.1),
]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
                     paramwise_cfg=dict(norm_decay_mult=0.0))  # detectron2 SOLVER.WEIGHT_DECAY_NORM = 0 (see VOC)
protocol_batch = 16                  # [moco-v2] IMS_PER_BATCH; another is refused (--allow-batch-mismatch)
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=2, save_last=True))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=False)
custom_hooks = [dict(type='PreciseBNHook', num_iters=200)]  # detectron2 TEST.PRECISE_BN, on in MoCo's configs
