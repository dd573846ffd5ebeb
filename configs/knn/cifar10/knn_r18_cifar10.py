# Profile `cifar10` (CPU): the CIFAR-10 kNN table protocol (InstDisc / MoCo's CIFAR-10 demo): weighted kNN with
# k=200, T=0.1, the whole training set (50,000 images) as the bank, the 10,000 test images as queries, 32 px images
# used whole. The backbone is the profile's ResNet-18 (standard stem, configs/pretrain/cifar10/*_r18_1xb64-*.py).
_base_ = ['../knn_r50_in1k.py']
profile = 'cifar10'
dataset_name = 'cifar10'
data_root = 'data/cifar10'   # pretrain/datasets/cifar.py's cache (the pipeline makes it), or any copy it reads

model = dict(arch='resnet18', stem='standard',
             data_preprocessor=dict(mean=(125.307, 122.961, 113.8575), std=(51.5865, 50.847, 51.255)))
eval_pipeline = dict(kind='eval', size=32, resize=None)
cifar = dict(type='CifarDataset', data_root=data_root, variant='cifar10', pipeline=eval_pipeline)
test_dataloader = dict(batch_size=1000, num_workers=1, persistent_workers=False, pin_memory=False,
                       dataset=dict(cifar, _delete_=True, split='test'))
test_evaluator = dict(k=200, temperature=0.1)   # [moco-cifar] / InstDisc's CIFAR setting
test_cfg = dict(bank=dict(cifar, _delete_=True, split='train'),
                bn_samples=10240,               # random init: BN statistics from 10,240 training images [choice]
                batch_size=1000, num_workers=1)
