"""Linear evaluation of a frozen backbone (MoCo protocol): ``python -m downstream.linear CONFIG --checkpoint
CKPT|random [--method supervised] [common flags]``. See `downstream.classification` for the details."""
import sys

from downstream.classification import run_stage


def main(argv=None) -> int:
    return run_stage(argv, "linear")


if __name__ == "__main__":
    sys.exit(main())
