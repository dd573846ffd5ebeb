# Transfer, fine-tuning on cifar10 [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
train_pipeline = dict(kind='train', size=224, scale=(0.08, 1.0), flip=True)
dataset_name = 'cifar10'
data_root = 'data/cifar-10-batches-py'
# CIFAR-10, python pickles: data/cifar-10-batches-py/{data_batch_1..5,test_batch}
eval_pipeline = dict(kind='eval', size=224, resize=None)   # [choice] 32 px images resized whole to 224
train_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='train',
                                     variant='cifar10', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='test',
                                   variant='cifar10', pipeline=eval_pipeline))
model = dict(num_classes=10)
epochs = 102    # round(20000 * 256 / 50000) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=25)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
