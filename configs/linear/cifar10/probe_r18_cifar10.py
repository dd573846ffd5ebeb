# Profile `cifar10` (CPU): the linear probe of the CIFAR-10 table: L2-regularised multinomial logistic regression
# (scikit-learn, L-BFGS) on frozen centre features of the 32 px images used whole, its regularisation chosen on 10 %
# of each training class held out (seed 0), refitted on train + val, scored once on the 10,000 test images
# (configs/transfer/_base_/logistic_probe.py; downstream/probe.py). ResNet-18, standard stem (the profile's).
_base_ = ['../../transfer/_base_/logistic_probe.py']
profile = 'cifar10'
stage = 'linear'
dataset_name = 'cifar10'
data_root = 'data/cifar10'

model = dict(arch='resnet18', stem='standard',
             data_preprocessor=dict(mean=(125.307, 122.961, 113.8575), std=(51.5865, 50.847, 51.255)))
feature_pipeline = dict(kind='eval', size=32, resize=None)   # 32 px used whole (no 224 resize at this scale)
cifar = dict(type='CifarDataset', data_root=data_root, variant='cifar10', pipeline=feature_pipeline)
probe = dict(train=dict(cifar, _delete_=True, split='train'),
             val=None,                                   # held out of train (val_holdout_percent, base config)
             test=dict(cifar, _delete_=True, split='test'),
             grid='coarse',                              # CPU: 12 strengths over Kornblith's range [choice]
             bn_samples=10240,                           # random init: BN statistics from 10,240 images [choice]
             batch_size=1000, num_workers=1)
