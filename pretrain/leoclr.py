"""LeOCLR (Alkhalefi et al., TMLR 2024), Algorithm 1.

The original (uncropped) image goes through f_q; each of two random crops goes through f_k; each crop is pulled
towards the original: loss = ℓ(q, k1) + ℓ(q, k2). There is no crop-crop term and no swapped term, and gradient
flows only through the original view. Everything else (encoders, head, queue, τ, optimiser) is MoCo-v2's.
"""
import torch
from mmengine.registry import MODELS

from pretrain.contrast import MomentumContrast

ENQUEUE_MODES = ("both", "first")
LOSS_TERMS = ("sum", "mean")


@MODELS.register_module()
class LeOCLR(MomentumContrast):
    view_names = ("original", "crop", "crop")

    def __init__(self, *args, enqueue="both", loss_terms="sum", **kwargs):
        super().__init__(*args, **kwargs)
        if enqueue not in ENQUEUE_MODES:
            raise ValueError(f"model.enqueue={enqueue!r}: choose one of {ENQUEUE_MODES}")
        if loss_terms not in LOSS_TERMS:
            raise ValueError(f"model.loss_terms={loss_terms!r}: choose one of {LOSS_TERMS}")
        self.enqueue_mode = enqueue  # [choice] the paper does not say which keys enter the queue
        self.loss_terms = loss_terms  # Algorithm 1 sums the two terms; 'mean' halves the gradient (an ablation)

    def loss(self, original, crop1, crop2):
        q = self.query(original)
        k1, k2 = self.key(crop1), self.key(crop2)
        loss1, pos1, neg1 = self.info_nce(q, k1)
        loss2, pos2, neg2 = self.info_nce(q, k2)  # same queue for both terms: enqueue only after both
        self.enqueue(k1 if self.enqueue_mode == "first" else torch.cat([k1, k2]))
        loss = loss1 + loss2 if self.loss_terms == "sum" else (loss1 + loss2) / 2
        out = {"loss": loss, "crop1_infonce": loss1.detach(), "crop2_infonce": loss2.detach(),
               "pos_sim": (pos1.mean() + pos2.mean()) / 2, "neg_sim": (neg1.mean() + neg2.mean()) / 2}
        return {**out, **self.embedding_stats(q, k1)} if self.diagnostics else out

    @property
    def key_views(self) -> tuple[int, ...]:
        return (1,) if self.enqueue_mode == "first" else (1, 2)

    @property
    def keys_per_image(self) -> int:
        return 1 if self.enqueue_mode == "first" else 2
