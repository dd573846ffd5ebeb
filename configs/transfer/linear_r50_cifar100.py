# Transfer, linear probe on cifar100: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# CIFAR-100 (fine labels), python pickles data/cifar-100-python/{train,test}: train 50,000 (10 % of each
# class held out as val, seed 0), test 10,000. The 32 px images are resized to 224 (bicubic).
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'cifar100'
data_root = 'data/cifar-100-python'
probe = dict(train=dict(type='CifarDataset', data_root=data_root, variant='cifar100'),
             val=None,  # CIFAR has no validation split: val_holdout_percent of train (base config)
             test=dict(type='CifarDataset', data_root=data_root, variant='cifar100'))
