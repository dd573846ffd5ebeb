# Semi-supervised ImageNet-1K, 10 % labels: fine-tune the whole network on SimCLR's 10 % subset and evaluate
# on the full val split. The paper's semi-supervised protocol is [pending]; these are the suite's defaults
# [choice] (the usual recipe of this literature, e.g. SwAV/BYOL-style fine-tuning), each a one-line switch.
# The 1 % config inherits everything and changes only the subset list.
_base_ = ['../_base_/classification_runtime.py']
profile = 'paper'
stage = 'semisup'
dataset_name = 'in1k_10pct'
data_root = 'data/imagenet'
subset_file = '10percent.txt'   # SimCLR's list (n01440764_10026.JPEG per line), at data/imagenet/10percent.txt

model = dict(
    type='ResNetClassifier',
    checkpoint='random',             # set by --checkpoint
    arch='resnet50', stem='standard',
    num_classes=1000,
    frozen=False,                    # [choice] the whole network is fine-tuned, BN in train mode
    head_init_std=0.01,
    data_preprocessor=dict(type='ClsDataPreprocessor',
                           mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)))

train_pipeline = dict(kind='train', size=224, scale=(0.08, 1.0), flip=True)  # [choice] RandomResizedCrop 224 + flip
eval_pipeline = dict(kind='eval', size=224, resize=256)                       # [choice] resize 256, centre crop 224
protocol_batch = 256                 # [choice] global batch; another is refused (--allow-batch-mismatch)
train_dataloader = dict(
    batch_size=32,                   # per GPU; 8 GPUs = 256 [choice]
    num_workers=8, persistent_workers=True, pin_memory=True, drop_last=False,
    sampler=dict(type='ClsEpochSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ClsImageFolder', data_root=data_root, split='train', pipeline=train_pipeline,
                 subset_file=subset_file))
val_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=True, pin_memory=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ClsImageFolder', data_root=data_root, split='val', pipeline=eval_pipeline))
val_evaluator = dict(type='ClsAccuracy')
val_cfg = dict(type='ValLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True,   # [choice] backbone lr 0.01, Nesterov
                   weight_decay=0.0),                                   # [choice] no weight decay
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))       # [choice] head lr x10 (0.1)
auto_scale_lr = dict(enable=True, base_batch_size=256)                  # lr per 256 images, scaled linearly
epochs = 20                                                             # [choice]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=5)
param_scheduler = [dict(type='MultiStepLR', milestones=[12, 16], gamma=0.2, by_epoch=True)]  # [choice]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=1, max_keep_ckpts=2))
