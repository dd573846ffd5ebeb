"""Pretraining of MoCo-v2 / LeOCLR ResNets (mmengine), and the model- and data-level helpers both stages use: the
backbone loader (`checkpoints`, with the trunks it builds, `resnet_trunk`), the data readers (`datasets.cifar`,
`datasets.splits`, `datasets.scenes`), the weighted kNN vote (`knn`) and the plain-type checkpoint hook
(`plain_checkpoint`).

Second floor (contracts.md v5): imports only `common` and itself. Downstream imports from pretrain only what the
runners need (loader, data readers, kNN vote), never training code. This file imports nothing on purpose: importing
the package must stay free of side effects (no registry entries)."""
