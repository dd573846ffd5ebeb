# Transfer, linear probe on flowers102: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# Oxford Flowers-102, 102 classes: the official train 1,020 / val 1,020 / test 6,149.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'flowers102'
data_root = 'data/flowers102'  # ImageFolder data/flowers102/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root),
             select_by='mean_per_class_acc')  # the benchmark's metric for this dataset
