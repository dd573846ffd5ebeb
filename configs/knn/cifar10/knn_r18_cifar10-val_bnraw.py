# knn_r18_cifar10-val.py with the random init's BN statistics left as initialised (knn_r18_cifar10_bnraw.py).
_base_ = ['./knn_r18_cifar10-val.py']
test_cfg = dict(random_bn='untouched')
