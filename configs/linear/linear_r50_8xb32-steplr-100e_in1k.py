# ImageNet-1K linear evaluation, MoCo protocol [moco-v2] (facebookresearch/moco main_lincls.py @7397dfe):
# frozen ResNet-50 trunk in eval mode (BN statistics frozen), one linear layer on the 2048-d pooled features.
# Every other linear/transfer config inherits these hyperparameters and overrides data (and scale) only.
_base_ = ['../_base_/classification_runtime.py']
profile = 'paper'
stage = 'linear'
dataset_name = 'in1k'
data_root = 'data/imagenet'

model = dict(
    type='ResNetClassifier',
    checkpoint='random',             # set by --checkpoint
    arch='resnet50', stem='standard',
    num_classes=1000,
    frozen=True,                     # [moco-v2] only the linear head is trained
    head_init_std=0.01,              # [moco-v2] fc weight ~ N(0, 0.01), bias 0
    data_preprocessor=dict(type='ClsDataPreprocessor',
                           mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)))

train_pipeline = dict(kind='train', size=224, scale=(0.08, 1.0), flip=True)  # [moco-v2] RandomResizedCrop 224 + flip
eval_pipeline = dict(kind='eval', size=224, resize=256)                       # [moco-v2] resize 256, centre crop 224
protocol_batch = 256                 # [moco-v2] global batch; another is refused (--allow-batch-mismatch)
train_dataloader = dict(
    batch_size=32,                   # per GPU; 8 GPUs = 256 [moco-v2]
    num_workers=8, persistent_workers=True, pin_memory=True, drop_last=False,
    sampler=dict(type='ClsEpochSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ClsImageFolder', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=True, pin_memory=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ClsImageFolder', data_root=data_root, split='val', pipeline=eval_pipeline))
val_evaluator = dict(type='ClsAccuracy')
val_cfg = dict(type='ValLoop')

optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=30.0, momentum=0.9, weight_decay=0.0))  # [moco-v2]
auto_scale_lr = dict(enable=True, base_batch_size=256)   # lr 30 per 256 images [moco-v2]; linear scaling [choice]
epochs = 100
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs,  # [moco-v2] 100 epochs
                 val_interval=1)                                 # [moco-v2] validation after every epoch
# [moco-v2] the record's `top1` is the best validation (main_lincls keeps best_acc1), with its top-5; `top1_last`
# is always recorded too. Switch: 'last' reports the last epoch's validation.
report_top1 = 'best'
param_scheduler = [dict(type='MultiStepLR', milestones=[60, 80], gamma=0.1, by_epoch=True)]  # [moco-v2]

# Random init (--checkpoint random): BN statistics re-estimated on (up to) bn_samples evenly spaced training
# images before freezing (contracts.md §2); 51,200 = 200 batches of 256 [choice]. feature_cache=False: images
# through the frozen trunk every step, with augmentation (the protocol).
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=51200, feature_cache=False)]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=2))
