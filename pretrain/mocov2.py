"""MoCo-v2 (Chen et al. 2020): one crop through f_q, the other through f_k, one InfoNCE term."""
from mmengine.registry import MODELS

from pretrain.contrast import MomentumContrast


@MODELS.register_module()
class MoCoV2(MomentumContrast):
    view_names = ("crop", "crop")

    def loss(self, crop1, crop2):
        q = self.query(crop1)
        k = self.key(crop2)
        loss, pos, neg = self.info_nce(q, k)
        self.enqueue(k)
        out = {"loss": loss, "pos_sim": pos.mean(), "neg_sim": neg.mean()}
        return {**out, **self.embedding_stats(q, k)} if self.diagnostics else out
