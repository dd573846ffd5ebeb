# Runtime of the classification protocols (downstream.linear / finetune / knn): the suite's runtime with the
# classification curves hook in place of pretraining's (downstream runs import nothing from pretrain but the
# loader, so pretrain.hooks' CurvesHook is not registered there).
_base_ = ['./default_runtime.py']
stage = None          # linear | semisup | transfer | knn: the run directory's stage (contracts.md §3)
default_hooks = dict(
    checkpoint=dict(max_keep_ckpts=2),
    curves=dict(type='ClsCurvesHook', interval=10),
)
