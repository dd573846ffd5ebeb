# Transfer, linear probe on pets: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# Oxford-IIIT Pets, 37 classes: the official trainval 3,680 (10 % of each class held out as val,
# seed 0) / test 3,669.
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'pets'
data_root = 'data/pets'  # ImageFolder data/pets/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root),
             select_by='mean_per_class_acc')  # the benchmark's metric for this dataset
