# Smoke profile: the MoCo linear protocol on the generated scenes (64 px) in CPU seconds. Only scale changes
# (contracts.md §1); the optimiser, schedule and head are the paper config's. Proves the pipeline, makes no
# scientific claim.
_base_ = ['../linear_r50_8xb32-steplr-100e_in1k.py']
profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-64'

protocol_batch = None                # smoke: no batch guard
model = dict(arch='resnet18',        # smoke: the R18 of the smoke pretraining
             num_classes=12)         # scenes: 12 classes
# smoke: train features with the eval view (no augmentation) so that the frozen trunk runs once per image
# (FrozenBackboneHook feature_cache below); 64 px images are used whole.
eval_pipeline = dict(kind='eval', size=64, resize=None)
train_dataloader = dict(
    batch_size=256,                  # smoke: one CPU process, batch 256 as the protocol
    num_workers=1, persistent_workers=False, pin_memory=False,  # smoke: 2 cores
    dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
val_dataloader = dict(
    batch_size=256, num_workers=1, persistent_workers=False, pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
# smoke: lr 30 (MoCo's, for R50 features at 224 px) diverges on R18 features at 64 px (their norm is ~15-20;
# measured loss ~300 after 100 epochs); 0.1 reaches the lowest training loss for random and trained trunks.
optim_wrapper = dict(optimizer=dict(lr=0.1))
custom_hooks = [dict(type='FrozenBackboneHook',
                     bn_samples=1024,       # smoke: random-init BN statistics from 1,024 training images
                     feature_cache=True)]   # smoke: CPU shortcut, same result as images through a frozen trunk
default_hooks = dict(logger=dict(interval=15), checkpoint=dict(interval=50, max_keep_ckpts=1),
                     curves=dict(interval=5))
