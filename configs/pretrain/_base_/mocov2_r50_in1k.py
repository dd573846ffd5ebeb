# MoCo-v2 recipe (Chen et al. 2020, facebookresearch/moco @7397dfe) on ImageNet-1K: the baseline, and every
# default LeOCLR keeps. Tags as in shared/paper/LeOCLR.md: [moco-v2] recipe, [choice] suite default.
_base_ = ['../../_base_/default_runtime.py']
profile = 'paper'
dataset_name = 'in1k'
data_root = 'data/imagenet'

model = dict(
    type='MoCoV2',
    arch='resnet50',                 # [moco-v2] torchvision ResNet-50
    stem='standard',
    proj_hidden_dim=2048,            # [moco-v2] MLP head 2048-2048-ReLU-128
    proj_dim=128,
    queue_size=65536,                # [moco-v2] K
    momentum=0.999,                  # [moco-v2] m
    temperature=0.2,                 # [moco-v2] τ
    # [moco-v2] shuffle-BN across GPUs. On a single device 'shuffle' falls back to 'split' (BN statistics over
    # bn_splits sub-batches + in-batch key shuffle, MoCo's single-GPU substitute) with a warning; 'sync' and
    # 'plain' are also selectable. The paper profile (8 GPUs) uses shuffle-BN.
    bn='shuffle',
    bn_splits=8,
    channels_last=False,             # [choice] speed switch, no effect on results
    compile=False,                   # [choice] speed switch: torch.compile of encoders and head, off until
                                     # measured faster (pretrain.bench --profile cifar10-gpu --compile)
    data_preprocessor=dict(type='MultiViewPreprocessor', mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)),
)

augment = dict(                      # [moco-v2] aug+ (photometric part)
    color_jitter=(0.4, 0.4, 0.4, 0.1), color_jitter_p=0.8, grayscale_p=0.2,
    blur_sigma=(0.1, 2.0), blur_p=0.5, flip_p=0.5)
protocol_batch = 256                 # [moco-v2] global batch; a run at another is refused (--allow-batch-mismatch)
train_dataloader = dict(
    batch_size=32,                   # per GPU; 8 GPUs = 256 [moco-v2]
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='EpochSeededSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MultiViewImageFolder', data_root=data_root, split='train',
        views=['crop', 'crop'],      # [moco-v2] q = f_q(crop1), k = f_k(crop2)
        size=224,
        crop_scale=(0.2, 1.0),       # [moco-v2]; crop-scale ablation switch
        original_mode='resize',
        augment=augment),
)

optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))  # [moco-v2]
auto_scale_lr = dict(enable=True, base_batch_size=256)  # lr 0.03 per 256 images, scaled linearly [moco-v2]
epochs = 200
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]  # no warm-up

# kNN monitor [choice]: weighted kNN (k=20, T=0.1) on a class-balanced 10 % of train vs 10,000 val images.
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='val',
                     size=224, eval_resize=256, bank_samples=128116, query_samples=10000,
                     interval=10, by_epoch=True, batch_size=256, num_workers=8)]
log_processor = dict(by_epoch=True)
# [choice] speed, no effect on what is logged: the model's outputs reach the message hub at logging steps only
# (pretrain/hooks.py), so the device is not stopped every step to read them
default_hooks = dict(runtime_info=dict(type='SyncFreeRuntimeInfoHook'))
