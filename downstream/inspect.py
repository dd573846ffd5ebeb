"""Show how a checkpoint maps onto a torchvision ResNet trunk, and verify it.

    python -m downstream.inspect CKPT [--arch A] [--stem S] [--json]

Exit code 0 when every trunk tensor is present with the right shape, 2 (with
the reason on stderr) otherwise. Run it with ``-m``: executed as a file, its
directory would shadow the standard library's ``inspect`` module.
"""

from __future__ import annotations

import argparse
import json
import sys

from pretrain.checkpoints import BackboneLoadError, read_backbone_state_dict
from pretrain.resnet_trunk import ARCHS, STEMS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m downstream.inspect", description=__doc__.splitlines()[0])
    ap.add_argument("ckpt", help="checkpoint file (export / suite / moco / mmselfsup / torchvision layout)")
    ap.add_argument("--arch", choices=ARCHS, default=None, help="default: sidecar, checkpoint field, or inferred")
    ap.add_argument("--stem", choices=STEMS, default=None, help="default: sidecar or inferred from conv1")
    ap.add_argument("--json", action="store_true", help="print the LoadReport as JSON")
    args = ap.parse_args(argv)

    try:
        _, report = read_backbone_state_dict(args.ckpt, arch=args.arch, stem=args.stem)
    except BackboneLoadError as e:
        if args.json:
            print(json.dumps({"verified": False, "error": str(e)}, indent=2))
        print(f"error: {e}", file=sys.stderr)
        return 2

    n = report.n_expected
    verdict = f"verified: all {n} trunk tensors loaded, shapes match"
    if report.filled_keys:
        verdict += f" ({len(report.filled_keys)} num_batches_tracked filled with 0)"
    if args.json:
        d = report.to_dict()
        d["verified"] = True
        print(json.dumps(d, indent=2))
    else:
        print(report.summary())
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
