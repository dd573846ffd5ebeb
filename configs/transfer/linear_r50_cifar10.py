# Transfer, linear evaluation on cifar10 [choice]: the ImageNet linear protocol (MoCo hyperparameters, inherited)
# on frozen features without augmentation (as in Kornblith et al. 2019 / SimCLR linear transfer), so the trunk
# runs once per image (feature cache). The paper's transfer protocol is [pending].
_base_ = ['../linear/linear_r50_8xb32-steplr-100e_in1k.py']
stage = 'transfer'
dataset_name = 'cifar10'
data_root = 'data/cifar-10-batches-py'
# CIFAR-10, python pickles: data/cifar-10-batches-py/{data_batch_1..5,test_batch}
eval_pipeline = dict(kind='eval', size=224, resize=None)   # [choice] 32 px images resized whole to 224
train_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='train',
                                     variant='cifar10', pipeline=eval_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='test',
                                   variant='cifar10', pipeline=eval_pipeline))
model = dict(num_classes=10)
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=51200, feature_cache=True)]
