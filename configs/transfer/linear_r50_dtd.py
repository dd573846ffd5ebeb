# Transfer, linear probe on dtd: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# DTD, 47 classes, split 1: the official train 1,880 / val 1,880 / test 1,880.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'dtd'
data_root = 'data/dtd'  # ImageFolder data/dtd/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root))
