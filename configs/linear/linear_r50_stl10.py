# Linear evaluation of an STL-10-pretrained ResNet-50 (paper table small_datasets): the MoCo linear protocol
# (inherited) at STL-10's native 96 px [choice; the paper's protocol is pending]: train on the 5,000 labelled
# training images, evaluate on the 8,000 test images. Paper profile only.
_base_ = ['./linear_r50_8xb32-steplr-100e_in1k.py']
dataset_name = 'stl10'
data_root = 'data/stl10_binary'  # binary release: data/stl10_binary/{train,test}_{X,y}.bin
model = dict(num_classes=10)
train_pipeline = dict(kind='train', size=96, scale=(0.08, 1.0), flip=True)  # [choice] RandomResizedCrop 96 + flip
eval_pipeline = dict(kind='eval', size=96, resize=None)                     # [choice] the whole 96 px image
train_dataloader = dict(dataset=dict(_delete_=True, type='STL10Dataset', data_root=data_root, split='train',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='STL10Dataset', data_root=data_root, split='test',
                                   pipeline=eval_pipeline))
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=5000, feature_cache=False)]
