# Transfer, linear evaluation on aircraft [choice]: the ImageNet linear protocol (MoCo hyperparameters, inherited)
# on frozen features without augmentation (as in Kornblith et al. 2019 / SimCLR linear transfer), so the trunk
# runs once per image (feature cache). The paper's transfer protocol is [pending].
_base_ = ['../linear/linear_r50_8xb32-steplr-100e_in1k.py']
stage = 'transfer'
dataset_name = 'aircraft'
data_root = 'data/aircraft'
# FGVC Aircraft (100 variants): train = official trainval (6,667), test (3,333)
# layout: ImageFolder data/aircraft/{train,test}/<class>/<images> (see downstream/datasets.py)
eval_pipeline = dict(kind='eval', size=224, resize=256)
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
val_dataloader = dict(dataset=dict(data_root=data_root, split='test'))
model = dict(num_classes=100)
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=51200, feature_cache=True)]
