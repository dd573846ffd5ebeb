# Profile `cifar10-gpu`: the CIFAR-10 linear probe (probe_r18_cifar10.py) for the profile's ResNet-18 with the
# small-image stem, over Kornblith's full grid of 45 regularisation strengths.
_base_ = ['./probe_r18_cifar10.py']
profile = 'cifar10-gpu'
model = dict(stem='cifar')
probe = dict(grid='kornblith')
