# Transfer, linear probe on aircraft: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# FGVC Aircraft, 100 variants: the official train 3,334 / val 3,333 / test 3,333.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'aircraft'
data_root = 'data/aircraft'  # ImageFolder data/aircraft/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root),
             select_by='mean_per_class_acc')  # the benchmark's metric for this dataset
