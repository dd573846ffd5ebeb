# Transfer, linear probe on cars: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# Stanford Cars, 196 classes: the official train 8,144 (10 % of each class held out as val, seed 0) /
# test 8,041.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'cars'
data_root = 'data/cars'  # ImageFolder data/cars/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root))
