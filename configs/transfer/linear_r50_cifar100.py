# Transfer, linear evaluation on cifar100 [choice]: the ImageNet linear protocol (MoCo hyperparameters, inherited)
# on frozen features without augmentation (as in Kornblith et al. 2019 / SimCLR linear transfer), so the trunk
# runs once per image (feature cache). The paper's transfer protocol is [pending].
_base_ = ['../linear/linear_r50_8xb32-steplr-100e_in1k.py']
stage = 'transfer'
dataset_name = 'cifar100'
data_root = 'data/cifar-100-python'
# CIFAR-100 (fine labels), python pickles: data/cifar-100-python/{train,test}
eval_pipeline = dict(kind='eval', size=224, resize=None)   # [choice] 32 px images resized whole to 224
train_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='train',
                                     variant='cifar100', pipeline=eval_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='test',
                                   variant='cifar100', pipeline=eval_pipeline))
model = dict(num_classes=100)
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=51200, feature_cache=True)]
