"""Downstream evaluation of pretrained backbones: classification (linear, semi-supervised, transfer, kNN, the
L-BFGS probe), detection (MMDetection) and segmentation (MMSegmentation), and what the runners share
(`mm_common`, `datasets`, `precise_bn`, `subsets`, `inspect`).

Third floor (contracts.md v5): imports `common`, and from `pretrain` only what the runners need (the backbone loader
``pretrain.checkpoints`` and its ``pretrain.resnet_trunk``, the data readers, the kNN vote), never training code.
``python -m downstream.inspect CKPT`` shows how a checkpoint maps onto a torchvision ResNet before any evaluation is
run."""
