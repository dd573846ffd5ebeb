# Profile `cifar10`: the kNN protocol of knn_r18_cifar10.py for the random-init reference with BN statistics left
# as initialised (row random-bnraw-knn; random-knn re-estimates them on the training split, contracts.md §2).
_base_ = ['./knn_r18_cifar10.py']
test_cfg = dict(random_bn='untouched')
