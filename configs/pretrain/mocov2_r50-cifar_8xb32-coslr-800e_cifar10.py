# CIFAR-10 pretraining (ImageFolder export of cifar-10-batches-py, see REPRODUCE.md). Resolution, stem and
# epochs [pending] in the paper: native 32 px, small-image stem (3x3 conv1, stride 1, no max-pool), 800 epochs [choice].
_base_ = ['./_base_/mocov2_r50_in1k.py']
dataset_name = 'cifar10'
data_root = 'data/cifar10'
epochs = 800
model = dict(stem='cifar', queue_size=4096)  # [choice] K well below the 50,000 training images
train_dataloader = dict(dataset=dict(data_root=data_root, size=32,
                                     augment=dict(blur_p=0.0)))  # [choice] no blur at 32 px (common CIFAR practice)
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='test',
                     size=32, interval=10, by_epoch=True, batch_size=512, num_workers=8)]
