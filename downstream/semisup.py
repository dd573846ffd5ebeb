"""Semi-supervised fine-tuning on a labelled subset: an alias of ``python -m downstream.finetune``."""
import sys

from downstream.finetune import main

if __name__ == "__main__":
    sys.exit(main())
