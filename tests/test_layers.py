"""One layer per folder (contracts.md v5): `common` → `pretrain` → `downstream` → `suite`. A module imports only its
own folder and the folders before it; downstream takes from pretrain only what the runners need (the backbone
loader, the data readers, the kNN vote, the plain-type checkpoint hook), never training code. Read from the source
with `ast`, so an import inside a function counts as much as one at the top."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["common", "pretrain", "downstream", "suite"]
PACKAGES = {"pretrain", "pretrain.datasets"}  # `from pretrain.datasets import cifar` is judged by its `.cifar`
# What a downstream runner may import from pretrain (module prefixes).
DOWNSTREAM_FROM_PRETRAIN = ("pretrain.checkpoints", "pretrain.resnet_trunk", "pretrain.knn",
                            "pretrain.plain_checkpoint", "pretrain.datasets.cifar", "pretrain.datasets.splits",
                            "pretrain.datasets.scenes", "pretrain.datasets.fingerprint", "pretrain.datasets.folders")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every absolute import in `path`; `from a import b` yields `a.b` too, so
    `from pretrain import train` names the module it pulls in."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return out


def layer_violations(repo: Path = REPO) -> list[str]:
    problems = {}   # one per import statement
    for rank, layer in enumerate(LAYERS):
        for path in sorted((repo / layer).rglob("*.py")):
            for line, module in imported_modules(path):
                top = module.split(".")[0]
                where = f"{path.relative_to(repo)}:{line}"
                if top in LAYERS and LAYERS.index(top) > rank:
                    problems.setdefault(where, f"{where} imports {module} ({top}/ is after {layer}/)")
                elif layer == "downstream" and top == "pretrain" and module not in PACKAGES \
                        and not module.startswith(DOWNSTREAM_FROM_PRETRAIN):
                    problems.setdefault(where, f"{where} imports training code {module}")
    return list(problems.values())


def test_no_folder_imports_a_later_one():
    assert set(LAYERS) <= {p.name for p in REPO.iterdir() if (p / "__init__.py").exists()}
    assert layer_violations() == []


@pytest.mark.parametrize("layer, line, expected", [
    ("common", "from pretrain.resnet_trunk import build_resnet", "after common/"),
    ("pretrain", "import suite.report", "after pretrain/"),
    ("pretrain", "    from downstream import knn", "after pretrain/"),
    ("downstream", "from pretrain.train import main", "training code pretrain.train"),
    ("downstream", "from pretrain import contrast", "training code pretrain.contrast"),
])
def test_the_check_sees_a_violation(tmp_path, layer, line, expected):
    for name in LAYERS:
        (tmp_path / name).mkdir()
    body = f"def f():\n{line}\n" if line.startswith(" ") else line + "\n"
    (tmp_path / layer / "bad.py").write_text(body)
    (problem,) = layer_violations(tmp_path)
    assert problem.startswith(f"{layer}/bad.py:") and expected in problem


def test_allowed_imports_pass(tmp_path):
    for name in LAYERS:
        (tmp_path / name).mkdir()
    (tmp_path / "downstream" / "ok.py").write_text(
        "from pretrain.checkpoints import load_backbone\nfrom pretrain.datasets.cifar import load_cifar10\n"
        "import common.records\n")
    (tmp_path / "suite" / "ok.py").write_text("from downstream import knn\nfrom common.records import now\n")
    assert layer_violations(tmp_path) == []
