# Smoke profile: semi-supervised fine-tuning on 10 % of the scenes-64 training labels (400 images, the same
# class-stratified list as `python -m downstream.subsets --percent 10 --seed 0`), evaluated on the full val
# split. Only scale changes (contracts.md §1). Proves the pipeline, makes no scientific claim.
_base_ = ['../finetune_r50_10pct_in1k.py']
profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-64'

protocol_batch = None                # smoke: no batch guard
model = dict(arch='resnet18',        # smoke: the R18 of the smoke pretraining
             num_classes=12)
train_pipeline = dict(kind='train', size=64, scale=(0.08, 1.0), flip=True)  # smoke: 64 px images
eval_pipeline = dict(kind='eval', size=64, resize=None)                     # smoke: 64 px images used whole
train_dataloader = dict(
    batch_size=64,                   # smoke: one CPU process
    num_workers=1, persistent_workers=False, pin_memory=False,  # smoke: 2 cores
    dataset=dict(data_root=data_root, pipeline=train_pipeline,
                 subset_file=None, subset_percent=10, subset_seed=0))  # smoke: the list is generated
val_dataloader = dict(
    batch_size=250, num_workers=1, persistent_workers=False, pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
auto_scale_lr = dict(enable=False)   # smoke: lr 0.01 at batch 64 (the linear rule would give 0.0025: ~35 steps
                                     # at that lr barely move the network)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=1.0)}))  # smoke: head lr 0.1 at batch
                                     # 64 blew the loss up (2.5 -> 18 within two epochs, measured); 0.01
epochs = 2                           # smoke: CPU minutes (the default run fits 15 min on the slower machine;
                                     # 3 until issue 19's budget cut)
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
param_scheduler = [dict(type='MultiStepLR', milestones=[1], gamma=0.2, by_epoch=True)]  # 12/20 of 20, scaled
default_hooks = dict(logger=dict(interval=7), checkpoint=dict(interval=5, max_keep_ckpts=1),
                     curves=dict(interval=1))
