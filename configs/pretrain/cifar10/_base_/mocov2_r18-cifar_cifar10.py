# MoCo-v2 with the CIFAR-10 recipe of MoCo's own CIFAR-10 demo (facebookresearch/moco, colab/moco_cifar10_demo.ipynb;
# tag [moco-cifar]): ResNet-18 with the small-image stem, K 4096, m 0.99, τ 0.1, SGD lr 0.06 per 512, wd 5e-4,
# batch 512, 200-epoch cosine, crops of scale (0.08, 1) with flip, colour jitter and grayscale, no blur.
# Everything else (MLP head, views, loss, split-BN on one device) is the suite's MoCo-v2 (configs/pretrain/_base_).
# Data: CIFAR-10 held in memory as uint8 and the views made batch-wise on the training device
# (pretrain/datasets/in_memory.py, pretrain/tensor_views.py); the profiles override scale, device and epochs.
_base_ = ['../../_base_/mocov2_r50_in1k.py']
custom_imports = dict(imports=['pretrain.datasets.in_memory'], allow_failed_imports=False)
dataset_name = 'cifar10'
data_root = 'data/cifar10'   # the cache, cifar-10-batches-py/, an ImageFolder or cifar10-jpeg.tar.gz (pretrain/datasets/cifar.py)
data_device = 'cpu'          # 'cuda': data and views resident on the GPU (then num_workers=0)
epochs = 200                 # [moco-cifar]
protocol_batch = 512         # [moco-cifar] global batch (contracts.md §7 guard)

model = dict(
    arch='resnet18',         # [moco-cifar]
    stem='cifar',            # [moco-cifar] 3x3 stride-1 conv1, no max-pool
    queue_size=4096,         # [moco-cifar] K, well below the 50,000 training images
    momentum=0.99,           # [moco-cifar] m
    temperature=0.1,         # [moco-cifar] τ
    bn='split', bn_splits=8,  # [moco-cifar] one device: SplitBatchNorm over 8 sub-batches + key shuffle
    # [moco-cifar] CIFAR-10 mean/std (0-255 units)
    data_preprocessor=dict(mean=(125.307, 122.961, 113.8575), std=(51.5865, 50.847, 51.255)))
train_dataloader = dict(
    batch_size=512,          # [moco-cifar]
    num_workers=0,           # views are batched tensor ops (on `data_device`), not per-image loader work
    persistent_workers=False,
    pin_memory=False,
    collate_fn=dict(type='batched_collate'),  # the dataset returns whole batches
    dataset=dict(
        type='InMemoryMultiView', data_root=data_root, split='train', device=data_device,
        size=32,             # native resolution
        crop_scale=(0.08, 1.0),  # [moco-cifar] torchvision's default scale
        augment=dict(blur_p=0.0)))  # [moco-cifar] no blur at 32 px
optim_wrapper = dict(optimizer=dict(lr=0.06, weight_decay=5e-4))  # [moco-cifar]
auto_scale_lr = dict(enable=True, base_batch_size=512)            # lr 0.06 per 512 images, linear
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
# [moco-cifar] monitor: weighted kNN (k=200, T=0.1) of the backbone on all 50,000 training images as the bank vs
# the 10,000 test images, every epoch; the values go to curves.csv (column knn_top1) at each epoch's last step.
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='test',
                     dataset=dict(type='InMemoryEval', device=data_device), k=200, temperature=0.1,
                     interval=1, by_epoch=True, batch_size=1000)]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=1, max_keep_ckpts=2))
