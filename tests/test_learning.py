"""Tests that catch a broken method (issue 20 item 5, contracts §2), through the real mmengine Runner: both methods
learn on a small fixed set of batches; a LeOCLR double whose crops come from other images does not; one seed
gives both methods the same start (what "paired" means); the kNN vote against a hand-computed case."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.registry import DATASETS, HOOKS
from torch.utils.data import Dataset

import pretrain.data  # noqa: F401  (registers the samplers)
import pretrain.leoclr  # noqa: F401  (registers the models)
import pretrain.mocov2  # noqa: F401
from pretrain.knn import weighted_knn_top1

N_IMAGES, BATCH = 64, 8      # 8 distinct batches, cycled in a fixed order


def base_images(seed=0):
    """Smooth random colour fields: distinct images a small ResNet can tell apart."""
    generator = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.randn(N_IMAGES, 3, 4, 4, generator=generator), size=32, mode="bilinear")


@DATASETS.register_module(force=True)
class NoisyViews(Dataset):
    """Each view of image i is image i plus fresh noise (seeded by index and a per-call counter). With
    `crops_from_others=True` (the broken double) LeOCLR's two crops come from a random *other* image instead."""

    def __init__(self, views=2, crops_from_others=False, seed=0):
        self.images, self.views, self.others, self.calls = base_images(seed), views, crops_from_others, 0

    def __len__(self):
        return N_IMAGES

    def __getitem__(self, index):
        self.calls += 1
        generator = torch.Generator().manual_seed(index * 100_003 + self.calls)
        views = []
        for slot in range(self.views):
            source = index
            if self.others and slot > 0:
                source = (index + 1 + int(torch.randint(N_IMAGES - 1, (1,), generator=generator))) % N_IMAGES
            views.append(self.images[source] + 0.2 * torch.randn(3, 32, 32, generator=generator))
        return {"inputs": views, "data_samples": index}


@HOOKS.register_module(force=True)
class KeepOutputs(Hook):
    def __init__(self):
        self.history = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.history.append((float(outputs["loss"].detach()), float(outputs["pos_sim"])))


def config(method, tmp_path, *, steps=64, seed=0, crops_from_others=False):
    views = 3 if method == "LeOCLR" else 2
    return dict(
        model=dict(type=method, arch="resnet18", proj_dim=16, proj_hidden_dim=32, queue_size=BATCH,
                   momentum=0.9, temperature=0.2, bn="plain", seed=seed,
                   data_preprocessor=dict(type="MultiViewPreprocessor", mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))),
        work_dir=str(tmp_path / method),
        train_dataloader=dict(batch_size=BATCH, num_workers=0, collate_fn=dict(type="default_collate"),
                              sampler=dict(type="DefaultSampler", shuffle=False),
                              dataset=dict(type="NoisyViews", views=views, crops_from_others=crops_from_others)),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=steps),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.015, momentum=0.9)),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=1000), checkpoint=None),
        custom_hooks=[dict(type="KeepOutputs")],
        randomness=dict(seed=seed),
        log_level="ERROR",
    )


def train(cfg) -> list:
    from mmengine.config import Config
    from mmengine.runner import Runner

    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    return next(h for h in runner.hooks if isinstance(h, KeepOutputs)).history


def learned(history) -> bool:
    """contracts §2: over the last 8 steps against the first 8 (after step 0, whose queue still holds its random
    initial vectors), the loss falls by a fifth and the positive-pair similarity rises."""
    first, last = history[1:9], history[-8:]
    mean = lambda rows, i: sum(r[i] for r in rows) / len(rows)  # noqa: E731
    return mean(last, 0) < 0.8 * mean(first, 0) and mean(last, 1) > mean(first, 1) + 0.02


@pytest.mark.parametrize("method", ["MoCoV2", "LeOCLR"])
def test_each_method_learns_through_the_runner_on_a_fixed_set_of_batches(method, tmp_path):
    history = train(config(method, tmp_path))
    assert learned(history), history[:8] + history[-8:]


def test_a_leoclr_whose_crops_come_from_other_images_does_not(tmp_path):
    """The double breaks the pairing the method rests on (a crop is a view of *its own* original): the same
    assertion must fail, or the test above could not tell a broken LeOCLR from a working one."""
    history = train(config("LeOCLR", tmp_path, crops_from_others=True))
    assert not learned(history), history[:8] + history[-8:]


def test_one_seed_gives_both_methods_the_same_weights_queue_and_sample_order(tmp_path):
    """What the verdict's pairing rests on: at one seed LeOCLR and MoCo-v2 start from the same query and key
    encoders, the same queue, and read the images in the same order (the real configs' EpochSeededSampler)."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    runners = {}
    for method in ("MoCoV2", "LeOCLR"):
        cfg = config(method, tmp_path, seed=3)
        cfg["train_dataloader"]["sampler"] = dict(type="EpochSeededSampler", shuffle=True, seed=3)
        runners[method] = Runner.from_cfg(Config(cfg))
    moco, leoclr = (runners[m].model for m in ("MoCoV2", "LeOCLR"))
    for name in ("backbone", "neck", "momentum_backbone", "momentum_neck"):
        a, b = getattr(moco, name).state_dict(), getattr(leoclr, name).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    assert torch.equal(moco.queue, leoclr.queue)
    orders = [list(runners[m].train_dataloader.sampler) for m in ("MoCoV2", "LeOCLR")]
    assert orders[0] == orders[1] and orders[0] != sorted(orders[0])
    other = Runner.from_cfg(Config(config("MoCoV2", tmp_path / "other", seed=4)))
    assert not torch.equal(other.model.queue, moco.queue)   # the seed does reach them


def test_knn_vote_against_a_hand_computed_case():
    """Weights exp(s/T); a tie broken by the weights; k larger than a class."""
    bank = F.normalize(torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]]), dim=1)
    labels = torch.tensor([0, 1, 1, 0, 2])
    query = F.normalize(torch.tensor([[1.0, 0.2]]), dim=1)
    sims = (query @ bank.T)[0]
    # k = 3: neighbours 0 (class 0) and 1, 2 (class 1): 2 votes to 1, but weights decide
    weight = lambda i: math.exp(float(sims[i]) / 0.1)  # noqa: E731
    class1, class0 = weight(1) + weight(2), weight(0)
    expected = 0 if class0 > class1 else 1
    assert weighted_knn_top1(bank, labels, query, torch.tensor([expected]), k=3, temperature=0.1) == 100.0
    assert weighted_knn_top1(bank, labels, query, torch.tensor([1 - expected]), k=3, temperature=0.1) == 0.0
    # a hotter T flattens the weights: then the two class-1 neighbours outvote the nearest one
    assert weighted_knn_top1(bank, labels, query, torch.tensor([1]), k=3, temperature=100.0) == 100.0
    # k beyond the bank (and beyond any class's size): every feature votes, no error
    assert weighted_knn_top1(bank, labels, query, torch.tensor([expected]), k=50, temperature=0.1) == 100.0
