# Transfer, linear probe on cifar10: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# CIFAR-10, 10 classes, the python pickles data/cifar-10-batches-py/{data_batch_1..5,test_batch}: train 50,000
# (10 % of each class held out as val, seed 0), test 10,000. The 32 px images are resized to 224 (bicubic).
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'cifar10'
data_root = 'data/cifar-10-batches-py'
probe = dict(train=dict(type='CifarDataset', data_root=data_root, variant='cifar10'),
             val=None,  # CIFAR has no validation split: val_holdout_percent of train (base config)
             test=dict(type='CifarDataset', data_root=data_root, variant='cifar10'))
