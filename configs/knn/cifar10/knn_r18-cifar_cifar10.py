# Profile `cifar10-gpu`: the CIFAR-10 kNN table protocol (knn_r18_cifar10.py) for the profile's ResNet-18 with the
# small-image stem ([moco-cifar], configs/pretrain/cifar10/*_r18-cifar_*.py).
_base_ = ['./knn_r18_cifar10.py']
profile = 'cifar10-gpu'
model = dict(stem='cifar')
