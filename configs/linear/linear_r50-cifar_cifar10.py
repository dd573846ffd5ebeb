# Linear evaluation of a CIFAR-10-pretrained ResNet-50 with the small-image stem (3x3 stride-1 conv1, no
# max-pool; paper table small_datasets): the MoCo linear protocol (inherited) at CIFAR's native 32 px [choice;
# the paper's protocol is pending]: train on the 50,000 training images, evaluate on the 10,000 test images.
# Paper profile only.
_base_ = ['./linear_r50_8xb32-steplr-100e_in1k.py']
dataset_name = 'cifar10'
data_root = 'data/cifar-10-batches-py'  # python pickles: data/cifar-10-batches-py/{data_batch_1..5,test_batch}
model = dict(num_classes=10, stem='cifar')
train_pipeline = dict(kind='train', size=32, scale=(0.08, 1.0), flip=True)  # [choice] RandomResizedCrop 32 + flip
eval_pipeline = dict(kind='eval', size=32, resize=None)                     # [choice] the whole 32 px image
train_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='train',
                                     variant='cifar10', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='CifarDataset', data_root=data_root, split='test',
                                   variant='cifar10', pipeline=eval_pipeline))
custom_hooks = [dict(type='FrozenBackboneHook', bn_samples=50000, feature_cache=False)]
