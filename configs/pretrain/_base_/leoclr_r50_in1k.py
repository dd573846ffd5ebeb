# LeOCLR (Alkhalefi et al., TMLR 2024): MoCo-v2's recipe with the paper's views and loss; nothing else changes
# ([choice], shared/paper/LeOCLR.md §2).
_base_ = ['./mocov2_r50_in1k.py']
model = dict(
    type='LeOCLR',
    enqueue='both',                  # [choice] k1 and k2 enter the queue (2N per step); 'first': k1 only
)
train_dataloader = dict(dataset=dict(
    views=['original', 'crop', 'crop'],  # [paper] q = f_q(original), k1 = f_k(crop1), k2 = f_k(crop2)
    # [choice] the original is the whole image resized to size×size (nothing cut away);
    # 'resize_center_crop' = shorter side to size, then centre crop. All three views get the photometric aug [paper].
    original_mode='resize'))
