# The cifar10 CPU sweep's random-init reference (configs/sweeps/cifar10.py): the kNN protocol of knn_r18_cifar10.py
# on the splits the sweep selects on: bank `train_minus_val` (45,000), queries `val` (5,000; pretrain.datasets.cifar.select_split).
_base_ = ['./knn_r18_cifar10.py']
test_dataloader = dict(dataset=dict(split='val'))
test_cfg = dict(bank=dict(split='train_minus_val'))
