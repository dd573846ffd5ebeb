"""pretrain.checkpoints: format detection, key mapping, verification (pretrain.resnet_trunk); downstream.inspect CLI.

All checkpoints are tiny fakes built in tmp_path from torchvision models; nothing is downloaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) does not put the repo root on sys.path
    sys.path.insert(0, str(ROOT))

from pretrain import checkpoints as ck  # noqa: E402
from pretrain import resnet_trunk  # noqa: E402
from pretrain.checkpoints import BackboneLoadError  # noqa: E402


class NotATensor:  # module level so that pickling works; loading it must be refused
    def __init__(self):
        self.x = 1


def _randomised_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """state_dict with non-trivial BN statistics so that equality checks mean something."""
    g = torch.Generator().manual_seed(123)
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(int(torch.randint(1, 1000, (), generator=g)), dtype=torch.long)
        elif k.endswith("running_var"):
            sd[k] = torch.rand(v.shape, generator=g) + 0.5
        else:
            sd[k] = torch.randn(v.shape, generator=g)
    return sd


@pytest.fixture(scope="module")
def r18_full():
    """torchvision resnet18 state_dict incl. fc."""
    return _randomised_state_dict(torchvision.models.resnet18(num_classes=10))


@pytest.fixture(scope="module")
def r18(r18_full):
    """trunk only (no fc)."""
    return {k: v for k, v in r18_full.items() if not k.startswith("fc.")}


def _assert_same(loaded: dict, ref: dict):
    assert list(loaded) == list(ref)
    for k in ref:
        assert torch.equal(loaded[k], ref[k]), k


def _moco_ckpt(trunk: dict, module: bool) -> dict:
    p = "module." if module else ""
    sd = {}
    for enc in ("encoder_q", "encoder_k"):
        for k, v in trunk.items():
            sd[f"{p}{enc}.{k}"] = v.clone()
        sd[f"{p}{enc}.fc.0.weight"] = torch.randn(512, 512)
        sd[f"{p}{enc}.fc.0.bias"] = torch.randn(512)
        sd[f"{p}{enc}.fc.2.weight"] = torch.randn(128, 512)
        sd[f"{p}{enc}.fc.2.bias"] = torch.randn(128)
    sd[f"{p}queue"] = torch.randn(128, 64)
    sd[f"{p}queue_ptr"] = torch.zeros(1, dtype=torch.long)
    optimizer = {"state": {}, "param_groups": [{"lr": 0.03, "momentum": 0.9, "params": [0, 1, 2]}]}
    return {"epoch": 200, "arch": "resnet18", "state_dict": sd, "optimizer": optimizer}


# --------------------------------------------------------------------------- the five formats


def test_export_with_sidecar_roundtrip(tmp_path, r18):
    out = tmp_path / "backbone.pth"
    side = {"method": "leoclr", "arch": "resnet18", "stem": "standard", "run_id": "r1", "seed": 0,
            "iterations": 10, "epochs": 1, "dataset": "fake", "config": {"lr": 0.1},
            "source_sha256": "ab" * 32, "commit": "deadbeef"}
    written = ck.save_backbone(r18, out, side)
    assert written["sha256"] == ck.sha256_file(out)
    assert json.loads((tmp_path / "backbone.json").read_text()) == written
    assert set(torch.load(out, map_location="cpu", weights_only=True)) == set(r18)  # tensor-only, no fc

    sd, rep = ck.read_backbone_state_dict(out)
    assert rep.format == "export"
    assert (rep.arch, rep.arch_source, rep.stem, rep.stem_source) == ("resnet18", "sidecar", "standard", "sidecar")
    assert rep.sha256 == written["sha256"]
    assert rep.sidecar["run_id"] == "r1"
    assert rep.n_loaded == rep.n_expected == len(r18) and rep.ignored == {} and rep.warnings == []
    _assert_same(sd, r18)
    json.dumps(rep.to_dict())
    assert "export" in rep.summary()

    with pytest.raises(BackboneLoadError, match="backbone.pth.*already exists"):
        ck.save_backbone(r18, out, side)
    ck.save_backbone(r18, out, side, overwrite=True)


def test_export_without_sidecar_infers_arch(tmp_path, r18):
    out = tmp_path / "bare.pth"
    torch.save(r18, out)
    sd, rep = ck.read_backbone_state_dict(out)
    assert (rep.format, rep.arch, rep.arch_source, rep.stem_source) == ("export", "resnet18", "inferred", "inferred")
    assert any("sidecar" in w for w in rep.warnings)
    _assert_same(sd, r18)


def test_suite_format(tmp_path, r18):
    sd = {f"backbone.{k}": v for k, v in r18.items()}
    sd.update({f"momentum_backbone.{k}": v.clone() for k, v in r18.items()})
    neck = {"mlp.0.weight": torch.randn(8, 512), "mlp.0.bias": torch.randn(8),
            "mlp.2.weight": torch.randn(4, 8), "mlp.2.bias": torch.randn(4)}
    sd.update({f"neck.{k}": v for k, v in neck.items()})
    sd.update({f"momentum_neck.{k}": v.clone() for k, v in neck.items()})
    sd["queue"] = torch.randn(4, 16)
    sd["queue_ptr"] = torch.zeros(1, dtype=torch.long)
    ckpt = {"meta": {"epoch": 1, "iter": 10, "seed": 0, "cfg": "model = dict()"}, "state_dict": sd,
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]},
            "message_hub": {"log_scalars": {}, "runtime_info": {"iter": 10}}}
    path = tmp_path / "iter_10.pth"
    torch.save(ckpt, path)

    out, rep = ck.read_backbone_state_dict(path)
    assert (rep.format, rep.arch, rep.container, rep.prefix) == ("suite", "resnet18", "state_dict", "backbone.")
    assert rep.ignored == {"momentum_backbone": len(r18), "neck": 4, "momentum_neck": 4, "queue": 2}
    assert set(rep.top_level_keys) >= {"meta", "optimizer", "message_hub"}
    _assert_same(out, r18)


@pytest.mark.parametrize("module", [True, False])
def test_official_moco_format(tmp_path, r18, module):
    path = tmp_path / "moco_v2_200ep_pretrain.pth.tar"
    torch.save(_moco_ckpt(r18, module), path)
    sd, rep = ck.read_backbone_state_dict(path)
    assert rep.format == "moco"
    assert rep.prefix == ("module.encoder_q." if module else "encoder_q.")
    assert (rep.arch, rep.arch_source) == ("resnet18", "checkpoint")
    assert rep.ignored == {"encoder_k": len(r18) + 4, "fc": 4, "queue": 2}
    assert [rep.prefix + "conv1.weight", "conv1.weight"] in rep.examples
    _assert_same(sd, r18)

    model, rep2 = ck.load_backbone(path)
    assert rep2.format == "moco"
    _assert_same(model.state_dict(), r18)


@pytest.mark.parametrize("wrapped", [True, False])
def test_mmselfsup_format(tmp_path, r18, wrapped):
    sd = {f"backbone.{k}": v for k, v in r18.items()}
    sd.update({f"encoder_k.module.0.{k}": v.clone() for k, v in r18.items()})
    sd.update({"neck.mlp.0.weight": torch.randn(8, 512), "projector.0.weight": torch.randn(4, 8),
               "queue": torch.randn(4, 16), "queue_ptr": torch.zeros(1, dtype=torch.long)})
    path = tmp_path / "mmselfsup.pth"
    torch.save({"meta": {"epoch": 3}, "state_dict": sd} if wrapped else sd, path)
    out, rep = ck.read_backbone_state_dict(path, arch="resnet18")
    assert (rep.format, rep.arch_source) == ("mmselfsup", "argument")
    assert rep.ignored == {"encoder_k": len(r18), "neck": 1, "projector": 1, "queue": 2}
    _assert_same(out, r18)


@pytest.mark.parametrize("wrap", [None, "state_dict", "model", "module."])
def test_torchvision_format(tmp_path, r18_full, r18, wrap):
    if wrap == "module.":
        obj = {f"module.{k}": v for k, v in r18_full.items()}
    elif wrap:
        obj = {wrap: r18_full, "epoch": 5}
    else:
        obj = r18_full
    path = tmp_path / "tv.pth"
    torch.save(obj, path)
    out, rep = ck.read_backbone_state_dict(path)
    assert (rep.format, rep.arch) == ("torchvision", "resnet18")
    assert rep.ignored == {"fc": 2}
    _assert_same(out, r18)


def test_load_backbone_outputs_match_source(tmp_path, r18_full):
    src = torchvision.models.resnet18(num_classes=10)
    src.load_state_dict(r18_full)
    path = tmp_path / "tv.pth"
    torch.save(src.state_dict(), path)
    rng = torch.get_rng_state()
    model, rep = ck.load_backbone(path)
    assert torch.equal(torch.get_rng_state(), rng)  # loading a file draws no random numbers
    src.fc = torch.nn.Identity()
    src.eval(), model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y = model(x)
        assert y.shape == (2, resnet_trunk.FEATURE_DIMS["resnet18"])
        assert torch.equal(y, src(x))


# --------------------------------------------------------------------------- CLI


def test_inspect_cli_on_moco_checkpoint(tmp_path, r18, capsys):
    from downstream.inspect import main

    path = tmp_path / "checkpoint_0199.pth.tar"
    torch.save(_moco_ckpt(r18, module=True), path)

    # the real `python -m` entry point (one interpreter start)
    r = subprocess.run([sys.executable, "-m", "downstream.inspect", str(path), "--arch", "resnet18"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "format   : moco" in out
    assert "module.encoder_q.conv1.weight -> conv1.weight" in out
    assert f"encoder_k={len(r18) + 4}" in out and "fc=4" in out and "queue=2" in out
    assert f"verified: all {len(r18)} trunk tensors loaded, shapes match" in out
    assert ck.sha256_file(path) in out

    # --json and the failure path, in-process
    assert main([str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["verified"] and d["format"] == "moco" and d["n_loaded"] == len(r18)
    assert d["ignored"] == {"encoder_k": len(r18) + 4, "fc": 4, "queue": 2}

    bad = tmp_path / "bad.pth"
    torch.save({"state_dict": {f"module.encoder_q.{k}": v for k, v in r18.items() if "layer4" not in k}}, bad)
    assert main([str(bad), "--arch", "resnet18"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "layer4.0.conv1.weight" in err


# --------------------------------------------------------------------------- failures


def test_truncated_state_dict_names_missing_keys(tmp_path, r18):
    path = tmp_path / "trunc.pth"
    torch.save({k: v for k, v in r18.items() if not k.startswith("layer4.1.")}, path)
    with pytest.raises(BackboneLoadError) as ei:
        ck.read_backbone_state_dict(path, arch="resnet18")
    msg = str(ei.value)
    assert str(path) in msg and "'export'" in msg and "missing" in msg
    assert "layer4.1.conv1.weight  expected [512, 512, 3, 3]" in msg
    assert "truncated" in msg


def test_resnet18_loaded_as_resnet50_fails_clearly(tmp_path, r18):
    path = tmp_path / "r18.pth"
    torch.save(r18, path)
    with pytest.raises(BackboneLoadError) as ei:
        ck.load_backbone(path, arch="resnet50")
    msg = str(ei.value)
    assert str(path) in msg and "resnet50" in msg
    assert "wrong --arch? the checkpoint looks like resnet18" in msg
    assert "shape mismatch" in msg and "missing" in msg


def test_extra_blocks_are_not_silently_dropped(tmp_path, r18):
    # a resnet34 trunk contains every resnet18 key with the same shapes; extra blocks must be an error
    sd = dict(r18)
    sd.update({k.replace("layer1.1.", "layer1.2."): v for k, v in r18.items() if k.startswith("layer1.1.")})
    path = tmp_path / "extra.pth"
    torch.save(sd, path)
    with pytest.raises(BackboneLoadError, match=r"unexpected[\s\S]*layer1\.2\.conv1\.weight"):
        ck.read_backbone_state_dict(path, arch="resnet18")


def test_resnet50_inferred_and_hinted(tmp_path):
    sd = torchvision.models.resnet50().state_dict()
    path = tmp_path / "r50.pth"
    torch.save(sd, path)
    out, rep = ck.read_backbone_state_dict(path)
    assert (rep.format, rep.arch, rep.arch_source, rep.n_loaded) == ("torchvision", "resnet50", "inferred", len(sd) - 2)
    with pytest.raises(BackboneLoadError, match="looks like resnet50"):
        ck.read_backbone_state_dict(path, arch="resnet18")


def test_cifar_stem_roundtrip(tmp_path):
    torch.manual_seed(0)
    src = resnet_trunk.build_resnet("resnet18", "cifar")
    assert isinstance(src.maxpool, torch.nn.Identity) and src.conv1.weight.shape == (64, 3, 3, 3)
    with torch.no_grad():  # non-trivial BN stats
        for m in src.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 1.5)
    ck.save_backbone(src.state_dict(), tmp_path / "c.pth", {"method": "mocov2", "arch": "resnet18", "stem": "cifar"})
    model, rep = ck.load_backbone(tmp_path / "c.pth")
    assert (rep.stem, rep.stem_source) == ("cifar", "sidecar")
    src.eval(), model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), src(x))

    torch.save(src.state_dict(), tmp_path / "nosidecar.pth")
    _, rep = ck.read_backbone_state_dict(tmp_path / "nosidecar.pth")
    assert (rep.stem, rep.stem_source) == ("cifar", "inferred")
    with pytest.raises(BackboneLoadError, match="wrong --stem"):
        ck.read_backbone_state_dict(tmp_path / "nosidecar.pth", stem="standard")


def test_sidecar_sha_mismatch_fails(tmp_path, r18):
    out = tmp_path / "b.pth"
    ck.save_backbone(r18, out, {"arch": "resnet18", "stem": "standard"})
    side = json.loads((tmp_path / "b.json").read_text())
    side["sha256"] = "0" * 64
    (tmp_path / "b.json").write_text(json.dumps(side))
    with pytest.raises(BackboneLoadError, match=r"b\.pth: sha256 mismatch"):
        ck.read_backbone_state_dict(out)


def test_missing_num_batches_tracked_is_filled_with_warning(tmp_path, r18):
    path = tmp_path / "nonbt.pth"
    torch.save({k: v for k, v in r18.items() if not k.endswith("num_batches_tracked")}, path)
    model, rep = ck.load_backbone(path)
    n_bn = sum(k.endswith("num_batches_tracked") for k in r18)
    assert len(rep.filled_keys) == n_bn and rep.n_loaded == len(r18) - n_bn
    assert any("num_batches_tracked" in w for w in rep.warnings)
    assert int(model.bn1.num_batches_tracked) == 0


def test_weights_only_refuses_custom_objects(tmp_path, r18, monkeypatch):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": dict(r18), "extra": NotATensor()}, path)
    with pytest.raises(BackboneLoadError, match=r"evil\.pth: refused to load with weights_only=True"):
        ck.read_backbone_state_dict(path)

    calls = []
    real_load = torch.load

    def spy(*a, **kw):
        calls.append(kw)
        return real_load(*a, **kw)

    monkeypatch.setattr(torch, "load", spy)
    good = tmp_path / "good.pth"
    torch.save(r18, good)
    ck.load_backbone(good)
    assert calls == [{"map_location": "cpu", "weights_only": True}]


def test_unrecognised_layout(tmp_path):
    path = tmp_path / "vit.pth"
    torch.save({"model": {"patch_embed.proj.weight": torch.zeros(2, 3, 4, 4)}}, path)
    with pytest.raises(BackboneLoadError, match=r"vit\.pth: unrecognised checkpoint layout.*patch_embed"):
        ck.read_backbone_state_dict(path)


# --------------------------------------------------------------------------- random init, module hygiene


def test_random_init_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(42)
    before = torch.get_rng_state()
    a, rep = ck.load_backbone("random", arch="resnet18", seed=1)
    b, _ = ck.load_backbone("random", arch="resnet18", seed=1)
    c, _ = ck.load_backbone("random", arch="resnet18", seed=2)
    assert torch.equal(torch.get_rng_state(), before)
    assert (rep.format, rep.seed, rep.sha256, rep.stem) == ("random", 1, None, "standard")
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv1.weight"], sc["conv1.weight"])
    json.dumps(rep.to_dict())
    with pytest.raises(BackboneLoadError):
        ck.load_backbone("random")


@pytest.mark.parametrize("name", ["checkpoints", "resnet_trunk"])
def test_checkpoints_module_imports_only_torch_torchvision_stdlib(name):
    """The loader and the trunk it builds on (`pretrain.resnet_trunk`, the one module of ours it imports)."""
    tree = ast.parse((ROOT / "pretrain" / f"{name}.py").read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            if node.module != "pretrain.resnet_trunk":
                roots.add(node.module.split(".")[0])
    third_party = roots - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party <= {"torch", "torchvision"}, third_party
    init = ast.parse((ROOT / "pretrain" / "__init__.py").read_text())
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(init))
