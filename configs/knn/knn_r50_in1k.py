# Weighted kNN of a frozen ResNet-50 trunk on ImageNet-1K, as the literature reports it: bank = the whole training
# split (1.28 M images), queries = the val split, resize 256 / centre crop 224, Wu et al. 2018's weighted vote with
# k=20, T=0.07 (solo-learn's WeightedKNNClassifier defaults; mmselfsup's test_knn.py: full bank, T=0.07, k=20 among
# its 10/20/100/200). CIFAR uses InstDisc's k=200, T=0.1 instead (pretrain/knn.py). The pretraining kNN monitor (k=20,
# T=0.1, a 10 % bank) is a training curve, not this protocol. Random init gets its BN statistics re-estimated on
# the bank split first.
_base_ = ['../_base_/classification_runtime.py']
profile = 'paper'
stage = 'knn'
dataset_name = 'in1k'
data_root = 'data/imagenet'

model = dict(type='ResNetClassifier', checkpoint='random', arch='resnet50', stem='standard',
             num_classes=0, frozen=True,     # features only
             data_preprocessor=dict(type='ClsDataPreprocessor',
                                    mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375)))
eval_pipeline = dict(kind='eval', size=224, resize=256)
test_dataloader = dict(
    batch_size=256, num_workers=8, persistent_workers=False, pin_memory=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ClsImageFolder', data_root=data_root, split='val', pipeline=eval_pipeline))
test_evaluator = dict(type='KNNAccuracy', k=20, temperature=0.07)
test_cfg = dict(type='KNNTestLoop',
                bank=dict(type='ClsImageFolder', data_root=data_root, split='train', pipeline=eval_pipeline,
                          max_samples=None),     # the whole training split
                bn_samples=51200,                # random init only: BN statistics from 200 batches of 256
                batch_size=256, num_workers=8)
