# Transfer, linear probe on caltech101: Kornblith et al. 2019's logistic-regression probe on frozen features
# (configs/transfer/_base_/logistic_probe.py; `python -m downstream.linear`).
# Caltech-101, 101 classes (background dropped): 30 images per class for training (3,030; 10 % of
# each class held out as val, seed 0), the rest for test (5,647) [choice] (REPRODUCE.md section 2.4).
_base_ = ['./_base_/logistic_probe.py']
dataset_name = 'caltech101'
data_root = 'data/caltech101'  # ImageFolder data/caltech101/{train,val,test}/<class>/ (python -m suite.prepare)
probe = dict(train=dict(data_root=data_root), val=dict(data_root=data_root), test=dict(data_root=data_root),
             select_by='mean_per_class_acc')  # the benchmark's metric for this dataset
