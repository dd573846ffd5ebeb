# Transfer, linear probe on food101: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# Food-101, 101 classes: the official train 75,750 (10 % of each class held out as val, seed 0) /
# test 25,250.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'food101'
data_root = 'data/food101'  # ImageFolder data/food101/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root))
