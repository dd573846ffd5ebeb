# Semi-supervised ImageNet-1K, 1 % labels: the 10 % protocol [choice] on SimCLR's 1 % subset.
_base_ = ['./finetune_r50_10pct_in1k.py']
dataset_name = 'in1k_1pct'
subset_file = '1percent.txt'     # SimCLR's list, at data/imagenet/1percent.txt
train_dataloader = dict(dataset=dict(subset_file=subset_file))
