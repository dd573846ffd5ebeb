# Faster R-CNN R50-C4 on VOC07+12 trainval -> VOC07 test: the MoCo detection protocol (MoCo v2 paper / moco
# repo detection/configs/pascal_voc_R_50_C4_24k_moco.yaml), ported to MMDetection 3.3.
#
#   python -m downstream.detection configs/detection/faster-rcnn_r50-c4_24k_voc0712.py --checkpoint CKPT \
#       --cfg-options train_dataloader.batch_size=16 train_dataloader.num_workers=8   # one GPU (see "batch")
#   torchrun --nproc_per_node 8 -m downstream.detection CONFIG --checkpoint CKPT --launcher pytorch   # 8 x 2
#
# The runner fills both init_cfg's below (backbone = conv1..res4, roi_head.shared_head = res5 / `layer4.*`) with
# the verified checkpoint and checks every tensor after init; the base config's caffe ImageNet weights are
# removed here. Numbers from this engine are not interchangeable with detectron2's (tables name the engine).
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'
custom_imports = dict(imports=['downstream.detection', 'downstream.precise_bn'],  # ResLayerExtraNorm, TrainOnDifficultBoxes;
                      allow_failed_imports=False)                           # PreciseBNHook

profile = 'paper'
dataset_name = 'voc0712'
data_root = 'data/VOCdevkit/'
# SyncBN as in MoCo (naiveSyncBN there). mmengine reverts SyncBN to BN when not distributed: on one GPU run the
# whole batch of 16 there (train_dataloader.batch_size=16) and BN sees the same 16 images as 8 x 2 SyncBN.
norm_cfg = dict(type='SyncBN', requires_grad=True)

model = dict(
    # torchvision (RGB) normalisation of our checkpoints, inside the model (a top-level data_preprocessor is
    # ignored by mmdet 3.x); LoadImageFromFile reads BGR, hence bgr_to_rgb=True.
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        frozen_stages=-1,      # MoCo: FREEZE_AT 0, every stage (stem included) is fine-tuned
        norm_cfg=norm_cfg,
        norm_eval=False,       # BN statistics are updated
        style='pytorch',       # torchvision ResNet: stride on the 3x3 conv (STRIDE_IN_1X1: False)
        init_cfg=None),        # filled by the runner (base: open-mmlab://detectron2/resnet50_caffe)
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',  # res5 + the extra BN on its output (Res5ROIHeadsExtraNorm)
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=None),    # filled by the runner (base: open-mmlab://detectron2/resnet50_caffe)
        bbox_head=dict(num_classes=20)))

# multi-scale training, shorter side 480..800 step 32 (MIN_SIZE_TRAIN); test shorter side 800 (MIN_SIZE_TEST)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    # detectron2 trains on VOC's 'difficult' boxes (pascal_voc.py: "We include 'difficult' samples in training");
    # mmdet's VOCDataset flags them ignored and PackDetInputs would drop them from the targets. Evaluation still
    # ignores them (the test pipeline below keeps the flags). Remove this line for mmdet's default.
    dict(type='TrainOnDifficultBoxes'),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,              # per GPU: 8 GPUs x 2 = 16 (IMS_PER_BATCH); one GPU: 16
    num_workers=4,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        # VOCDataset stores dataset_type VOC2007 / VOC2012 in its metainfo; without this mmengine's ConcatDataset
        # refuses the two (mmdetection#9195); the 18k base config and mmselfsup's 24k override lack it.
        ignore_keys=['dataset_type'],
        datasets=[
            dict(type='VOCDataset', data_root=data_root, ann_file='VOC2007/ImageSets/Main/trainval.txt',
                 data_prefix=dict(sub_data_root='VOC2007/'), filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline),
            dict(type='VOCDataset', data_root=data_root, ann_file='VOC2012/ImageSets/Main/trainval.txt',
                 data_prefix=dict(sub_data_root='VOC2012/'), filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline),
        ]))
val_dataloader = dict(
    num_workers=4,
    dataset=dict(type='VOCDataset', data_root=data_root, ann_file='VOC2007/ImageSets/Main/test.txt',
                 data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
# VOC07 11-point AP at IoU 0.50, 0.55, ..., 0.95: `mAP` (their mean) -> AP, `AP50` -> AP50, `AP75` -> AP75, as in
# detectron2's PascalVOCDetectionEvaluator used by MoCo. mmdet rounds the per-threshold values to 0.001.
val_evaluator = dict(
    type='VOCMetric', metric='mAP', eval_mode='11points',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator

# 24k iterations, lr 0.02 (batch 16), x0.1 at 18k and 22k, linear warmup over 100 iterations from 0.001 x lr
max_iters = 24000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[18000, 22000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    # detectron2's SOLVER.WEIGHT_DECAY_NORM = 0 (MoCo's configs inherit it): no weight decay on the norm layers'
    # weight and bias (backbone BN, res5 BN, the extra res5 norm); other biases keep it (WEIGHT_DECAY_BIAS = wd)
    paramwise_cfg=dict(norm_decay_mult=0.0))
protocol_batch = 16                  # [moco-v2] IMS_PER_BATCH; another is refused (--allow-batch-mismatch)
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2, save_last=True))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=False)
# detectron2's TEST.PRECISE_BN (on in MoCo's configs): BN statistics re-estimated on 200 training batches before
# every evaluation (downstream/precise_bn.py)
custom_hooks = [dict(type='PreciseBNHook', num_iters=200)]
