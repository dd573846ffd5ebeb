# Profile `cifar10-gpu`: the CIFAR-10 linear probe (probe_r18_cifar10.py, its coarse grid of 12 regularisation
# strengths included) for the profile's ResNet-18 with the small-image stem. The coarse grid stays [choice]: the
# whole profile runs inside one device lease (scripts/cifar10_gpu.sh), where 45 L-BFGS fits per probe do not fit.
_base_ = ['./probe_r18_cifar10.py']
profile = 'cifar10-gpu'
model = dict(stem='cifar')
