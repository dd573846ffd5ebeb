# Data of the cifar10-gpu profile: the same CIFAR-10 cache as the cifar10 profile (configs/data/cifar10.py).
_base_ = ['./cifar10.py']
