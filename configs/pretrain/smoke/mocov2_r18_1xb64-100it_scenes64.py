# Smoke profile: MoCo-v2 on the generated scenes (64 px) in CPU minutes. Only scale changes (contracts.md §1);
# views, encoders and loss are the recipe's. Proves the pipeline, makes no scientific claim.
_base_ = ['../_base_/mocov2_r50_in1k.py']
profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-64'
iters = 100  # smoke: the default run fits 15 min on the slower 2-core machine; the losses stay at chance
             # level (≈ ln 513 per InfoNCE term) over 200 steps too, so nothing measurable is lost
protocol_batch = None   # smoke: no batch guard (one CPU process at batch 64, lr scaled to it)

model = dict(
    arch='resnet18',        # smoke: R18 instead of R50 (CPU minutes)
    queue_size=512,         # smoke: ≤ 1/8 of the 4,000 training scenes, so no image meets its own stale key
    momentum=0.99,          # smoke: a few hundred steps; with 0.999 f_k would barely move
    # smoke: one process, so MoCo's single-device substitute for shuffle-BN; 2 splits of 32 images = the paper's
    # 32 images per GPU in each BN batch
    bn='split', bn_splits=2)
train_dataloader = dict(
    batch_size=64,          # smoke: one CPU process; lr scales to 0.03 * 64/256 by auto_scale_lr
    num_workers=1,          # smoke: 2 cores, one for loading
    pin_memory=False,
    sampler=dict(type='SeededInfiniteSampler'),  # smoke: iteration-based (resume mid-epoch)
    dataset=dict(
        data_root=data_root, size=64,              # smoke: 64 px scenes
        augment=dict(blur_sigma=(0.03, 0.57))))   # smoke: MoCo's σ ∈ [0.1, 2.0] at 224 px, scaled to 64 px
train_cfg = dict(_delete_=True, type='ResumableIterLoop', max_iters=iters)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=iters, by_epoch=False, begin=0, end=iters)]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=50, by_epoch=False, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='val',
                     size=64, bank_samples=2000, query_samples=1000, interval=iters, batch_size=250)]
# smoke: the kNN once, at the end (it also ran at step 50 until issue 19's budget cut: ~10 s a pass)
