# Transfer linear probe of Kornblith, Shlens & Le 2019 ("Do better ImageNet models transfer better?"; also SimCLR
# App. B.8 and BYOL), shared by configs/transfer/linear_r50_<dataset>.py and run by `python -m downstream.linear`
# (downstream/classification.py `run_probe`, downstream/probe.py `fit_probe`):
#  - features: the frozen trunk's 2048-d pooled output, trunk in eval mode, one pass per image, no augmentation;
#    images resized to 224 on the shorter side (bicubic), then a 224 centre crop;
#  - classifier: L2-regularised multinomial logistic regression, L-BFGS (scikit-learn), C = 1 / strength chosen
#    over 45 log-spaced strengths 1e-6..1e5 on a validation split held out of the training set, then refitted on
#    train + val and scored once on test;
#  - metric: top-1 and mean per-class accuracy are both recorded; `select_by` is the one the benchmark reports for
#    the dataset (mean per-class: Pets, Flowers-102, Aircraft, Caltech-101; top-1: the rest).
# The paper's own transfer protocol is [pending]; this one is the suite's [choice], the standard benchmark's.
_base_ = ['../../_base_/classification_runtime.py']
profile = 'paper'
stage = 'transfer'

model = dict(
    type='ResNetClassifier',
    checkpoint='random',             # set by --checkpoint
    arch='resnet50', stem='standard',
    num_classes=0,                   # features only: the classifier is the logistic regression below
    frozen=True,
    data_preprocessor=dict(type='ClsDataPreprocessor',
                           mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)))

feature_pipeline = dict(kind='eval', size=224, resize=224, interpolation='bicubic')  # Kornblith / SimCLR B.8
probe = dict(
    train=dict(type='ClsImageFolder', split='train', pipeline=feature_pipeline),
    val=dict(type='ClsImageFolder', split='val', pipeline=feature_pipeline),  # None: hold out of train instead
    test=dict(type='ClsImageFolder', split='test', pipeline=feature_pipeline),
    val_holdout_percent=10, val_holdout_seed=0,  # used when val=None (contracts.md section 5.1's rule)
    grid='kornblith',                # 45 values; 'coarse' = 12 values over the same range (downstream/probe.py)
    select_by='top1',                # the validation metric that picks C: the one the table reports
    standardize=False,               # raw features, as Kornblith / SimCLR
    max_iter=1000,                   # L-BFGS iterations per fit
    bn_samples=51200,                # random init only: BN statistics from 200 batches of 256 training images
    batch_size=256, num_workers=8)   # feature extraction
