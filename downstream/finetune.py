"""Fine-tuning of the whole network (semi-supervised label subsets, transfer): ``python -m downstream.finetune
CONFIG --checkpoint CKPT|random [common flags]``; the config's ``stage`` (``semisup`` | ``transfer``) names the
run directory. See `downstream.classification` for the details."""
import sys

from downstream.classification import run_stage


def main(argv=None) -> int:
    return run_stage(argv, "finetune")


if __name__ == "__main__":
    sys.exit(main())
