# Transfer, fine-tuning on cifar100 [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
train_pipeline = dict(kind='train', size=224, scale=(0.08, 1.0), flip=True)
dataset_name = 'cifar100'
data_root = 'data/cifar-100-python'
# CIFAR-100 (fine labels), python pickles: data/cifar-100-python/{train,test}
eval_pipeline = dict(kind='eval', size=224, resize=None)   # [choice] 32 px images resized whole to 224
train_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='train',
                                     variant='cifar100', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='test',
                                   variant='cifar100', pipeline=eval_pipeline))
model = dict(num_classes=100)
epochs = 102    # round(20000 * 256 / 50000) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=25)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
