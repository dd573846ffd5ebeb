"""MoCo-v2 / LeOCLR model semantics: InfoNCE by hand, which views meet which encoder, EMA, queue, split BN."""
import math

import pytest
import torch
import torch.nn.functional as F

from pretrain.contrast import SplitBatchNorm
from pretrain.leoclr import LeOCLR
from pretrain.mocov2 import MoCoV2


def tiny(cls, **kwargs):
    defaults = dict(arch="resnet18", proj_dim=8, proj_hidden_dim=16, queue_size=32, momentum=0.9,
                    temperature=0.2, bn="plain", seed=0)
    return cls(**{**defaults, **kwargs})


def images(n=4, size=32, seed=0):
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_info_nce_matches_hand_computation():
    model = tiny(MoCoV2, queue_size=2, proj_dim=2, temperature=0.5)
    model.queue.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))  # columns are the negatives n1=(1,0), n2=(0,1)
    q = torch.tensor([[0.6, 0.8]])
    k = torch.tensor([[0.8, 0.6]])
    loss, pos, neg = model.info_nce(q, k)
    s_pos, s_n1, s_n2 = 0.6 * 0.8 + 0.8 * 0.6, 0.6, 0.8
    expected = -math.log(math.exp(s_pos / 0.5) / sum(math.exp(s / 0.5) for s in (s_pos, s_n1, s_n2)))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert pos.item() == pytest.approx(s_pos) and neg.flatten().tolist() == pytest.approx([s_n1, s_n2])


class Spy:
    """Records which tensors reach f_q (query) and f_k (key)."""

    def __init__(self, model):
        self.queries, self.keys = [], []
        query, key = model.query, model.key
        model.query = lambda x: (self.queries.append(x), query(x))[1]
        model.key = lambda x: (self.keys.append(x), key(x))[1]


def test_leoclr_original_through_query_crops_through_key_and_loss_is_sum_of_two_terms():
    model = tiny(LeOCLR)
    original, crop1, crop2 = images(seed=1), images(seed=2), images(seed=3)
    spy = Spy(model)
    queue_before = model.queue.clone()
    losses = model(inputs=[original, crop1, crop2], mode="loss")
    assert len(spy.queries) == 1 and spy.queries[0] is original  # no crop through f_q: no swapped term
    assert len(spy.keys) == 2 and spy.keys[0] is crop1 and spy.keys[1] is crop2  # original never through f_k
    # Recompute both terms by hand against the queue as it was before this step's enqueue.
    with torch.no_grad():
        q = F.normalize(model.neck(model.backbone(original)), dim=1)
        k1 = F.normalize(model.momentum_neck(model.momentum_backbone(crop1)), dim=1)
        k2 = F.normalize(model.momentum_neck(model.momentum_backbone(crop2)), dim=1)

    def term(k):
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue_before], 1) / model.temperature
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))

    assert losses["crop1_infonce"].item() == pytest.approx(term(k1).item(), rel=1e-4)
    assert losses["crop2_infonce"].item() == pytest.approx(term(k2).item(), rel=1e-4)
    assert losses["loss"].item() == pytest.approx(term(k1).item() + term(k2).item(), rel=1e-4)  # no crop-crop term


def test_leoclr_gradient_flows_only_through_the_original_view():
    model = tiny(LeOCLR)
    views = [images(seed=s).requires_grad_() for s in (1, 2, 3)]
    model(inputs=views, mode="loss")["loss"].backward()
    assert views[0].grad is not None and views[0].grad.abs().sum() > 0
    assert views[1].grad is None and views[2].grad is None
    assert all(p.grad is None for p in model.momentum_backbone.parameters())


def test_leoclr_enqueues_both_crop_keys_or_only_the_first():
    for mode, expected in (("both", 8), ("first", 4)):
        model = tiny(LeOCLR, enqueue=mode)
        model(inputs=[images(seed=s) for s in (1, 2, 3)], mode="loss")
        assert int(model.queue_ptr) == expected


def test_mocov2_first_crop_through_query_second_through_key():
    model = tiny(MoCoV2)
    crop1, crop2 = images(seed=1), images(seed=2)
    spy = Spy(model)
    losses = model(inputs=[crop1, crop2], mode="loss")
    assert spy.queries == [crop1] and spy.keys == [crop2]
    assert set(losses) == {"loss", "pos_sim", "neg_sim"}


def test_wrong_number_of_views_names_the_config_key():
    with pytest.raises(ValueError, match="train_dataloader.dataset.views"):
        tiny(LeOCLR)(inputs=[images(), images()], mode="loss")


def test_momentum_update_is_an_ema_of_the_query_encoder():
    model = tiny(MoCoV2, momentum=0.9)
    with torch.no_grad():
        for p in [*model.backbone.parameters(), *model.neck.parameters()]:
            p.add_(1.0)
    before = [p.clone() for p in model.momentum_backbone.parameters()]
    online = list(model.backbone.parameters())
    model.momentum_update()
    for old, new, q in zip(before, model.momentum_backbone.parameters(), online):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * q)
    assert not any(p.requires_grad for p in model.momentum_backbone.parameters())


def test_queue_is_a_ring_buffer():
    model = tiny(MoCoV2, queue_size=6, proj_dim=2)
    first = F.normalize(torch.randn(4, 2), dim=1)
    model.enqueue(first)
    torch.testing.assert_close(model.queue[:, :4], first.T)
    assert int(model.queue_ptr) == 4
    second = F.normalize(torch.randn(4, 2), dim=1)
    model.enqueue(second)  # wraps: two at the end, two at the start (the oldest are dequeued)
    torch.testing.assert_close(model.queue[:, 4:], second[:2].T)
    torch.testing.assert_close(model.queue[:, :2], second[2:].T)
    assert int(model.queue_ptr) == 2


def test_split_batchnorm_equals_bn_on_each_sub_batch():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 4, 4)
    split = SplitBatchNorm(3, num_splits=2).train()
    out = split(x)
    # sub-batch j holds samples j, j+2, j+4, ... (the reshape interleaves them)
    for j in range(2):
        part = x[j::2]
        ref = (part - part.mean((0, 2, 3), keepdim=True)) / torch.sqrt(
            part.var((0, 2, 3), unbiased=False, keepdim=True) + split.eps)
        torch.testing.assert_close(out[j::2], ref, atol=1e-5, rtol=1e-4)
    assert split.state_dict().keys() == torch.nn.BatchNorm2d(3).state_dict().keys()


def test_key_shuffle_does_not_change_keys_in_split_mode():
    model = tiny(MoCoV2, bn="split", bn_splits=2).eval()  # eval: BN uses running stats, so order cannot matter
    x = images(n=4)
    model._shuffles = 0
    shuffled = model.key(x)
    expected = F.normalize(model.momentum_neck(model.momentum_backbone(x)), dim=1)
    torch.testing.assert_close(shuffled, expected, atol=1e-5, rtol=1e-5)



def test_the_compile_switch_keeps_checkpoint_keys():
    """`model.compile=True` compiles in place (lazily, at the first call): checkpoints keep the uncompiled keys."""
    compiled = tiny(MoCoV2, compile=True)
    assert compiled.state_dict().keys() == tiny(MoCoV2).state_dict().keys()
    assert all(getattr(m, "_compiled_call_impl", None) is not None for m in (compiled.backbone, compiled.neck))
