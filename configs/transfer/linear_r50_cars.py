# Transfer, linear evaluation on cars [choice]: the ImageNet linear protocol (MoCo hyperparameters, inherited)
# on frozen features without augmentation (as in Kornblith et al. 2019 / SimCLR linear transfer), so the trunk
# runs once per image (feature cache). The paper's transfer protocol is [pending].
_base_ = ['../linear/linear_r50_8xb32-steplr-100e_in1k.py']
stage = 'transfer'
dataset_name = 'cars'
data_root = 'data/cars'
# Stanford Cars: train (8,144), test (8,041)
# layout: ImageFolder data/cars/{train,test}/<class>/<images> (see downstream/datasets.py)
eval_pipeline = dict(kind='eval', size=224, resize=256)
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
val_dataloader = dict(dataset=dict(data_root=data_root, split='test'))
model = dict(num_classes=196)
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=51200, feature_cache=True)]
