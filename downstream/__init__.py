"""Downstream evaluation of pretrained backbones (linear probe, fine-tuning, transfer).

Backbones are obtained through ``pretrain.checkpoints.load_backbone`` only; ``python -m downstream.inspect CKPT``
shows how a checkpoint maps onto a torchvision ResNet before any evaluation is run."""
