# Paper profile: MoCo-v2 pretraining on CIFAR-10 (50,000 training images, 32 px) with the CIFAR-10 recipe of MoCo's
# demo ([moco-cifar], configs/pretrain/cifar10/_base_/), on ResNet-50 [choice: the paper's CIFAR backbone is
# pending] with the small-image stem, 800 epochs [choice]. 8 GPUs x 64 = the recipe's batch 512. Data and views resident on each GPU.
_base_ = ['./cifar10/_base_/mocov2_r18-cifar_cifar10.py']
profile = 'paper'
data_device = 'cuda'
epochs = 800                 # [choice]
model = dict(arch='resnet50', bn='shuffle')  # [choice] R50; shuffle-BN across the 8 GPUs (split-BN on one)
train_dataloader = dict(batch_size=64, dataset=dict(device=data_device))
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root='data/cifar10', bank_split='train', query_split='test',
                     dataset=dict(type='InMemoryEval', device=data_device), k=200, temperature=0.1,
                     interval=10, by_epoch=True, batch_size=1000)]
