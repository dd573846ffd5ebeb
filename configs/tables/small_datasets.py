# Pretraining on small datasets (STL-10 unlabeled, CIFAR-10) + linear evaluation on the same dataset: which runs
# feed which row (contracts.md §3). Paper profile only (contracts.md §1). Format: see in1k_linear.py.
# Paper numbers: results/reference/small_datasets.csv (all pending).
table = 'small_datasets'
title = 'Pretraining on STL-10 and CIFAR-10, linear evaluation'
metrics = ['top1']
stage = 'linear'
note = ('The paper pretrains on STL-10\'s unlabeled split (100 k images) and CIFAR-10 (50 k training images); '
        'the suite does the same (train+unlabeled, 105 k, is a config switch: `pretrain_split`). The paper\'s '
        'resolution, stem, epochs and linear protocol are pending. Suite defaults [choice]: native resolution '
        '(96 / 32 px), ResNet-50 (CIFAR-10: '
        '3×3 stride-1 conv1, no max-pool), 800 epochs, the MoCo linear protocol on the labelled train/test '
        'split (`top1` = best epoch, as MoCo; `top1_last` in the records). Random init: BN statistics re-estimated on the training split before the probe. Paper profile '
        'only.')

_desc = dict(pretrain_epochs=800, protocol='linear')
rows = [
    dict(row='leoclr-r50-800e-stl10', method='leoclr', arch='r50', pretrain_dataset='stl10', eval_dataset='stl10',
         **_desc, paper=dict(pretrain='configs/pretrain/leoclr_r50_8xb32-coslr-800e_stl10.py',
                             downstream='configs/linear/linear_r50_stl10.py')),
    dict(row='mocov2-r50-800e-stl10', method='mocov2', arch='r50', pretrain_dataset='stl10', eval_dataset='stl10',
         **_desc, paper=dict(pretrain='configs/pretrain/mocov2_r50_8xb32-coslr-800e_stl10.py',
                             downstream='configs/linear/linear_r50_stl10.py')),
    dict(row='random-r50-stl10', method='random', arch='r50', pretrain_dataset=None, pretrain_epochs=0,
         eval_dataset='stl10', protocol='linear',
         paper=dict(pretrain=None, downstream='configs/linear/linear_r50_stl10.py')),
    dict(row='leoclr-r50-cifar-800e-cifar10', method='leoclr', arch='r50-cifar', pretrain_dataset='cifar10',
         eval_dataset='cifar10', **_desc,
         paper=dict(pretrain='configs/pretrain/leoclr_r50-cifar_8xb64-coslr-800e_cifar10.py',
                    downstream='configs/linear/linear_r50-cifar_cifar10.py')),
    dict(row='mocov2-r50-cifar-800e-cifar10', method='mocov2', arch='r50-cifar', pretrain_dataset='cifar10',
         eval_dataset='cifar10', **_desc,
         paper=dict(pretrain='configs/pretrain/mocov2_r50-cifar_8xb64-coslr-800e_cifar10.py',
                    downstream='configs/linear/linear_r50-cifar_cifar10.py')),
    dict(row='random-r50-cifar-cifar10', method='random', arch='r50-cifar', pretrain_dataset=None,
         pretrain_epochs=0, eval_dataset='cifar10', protocol='linear',
         paper=dict(pretrain=None, downstream='configs/linear/linear_r50-cifar_cifar10.py')),
]
