"""Pretraining of MoCo-v2 / LeOCLR ResNets (mmengine). Imports nothing on purpose: downstream code uses
``pretrain.checkpoints`` only, and importing the package must stay free of side effects."""
