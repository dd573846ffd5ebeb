# Profile `cifar10-gpu`: the random-init reference with BN statistics left as initialised (row random-bnraw-knn).
_base_ = ['./knn_r18-cifar_cifar10.py']
test_cfg = dict(random_bn='untouched')
