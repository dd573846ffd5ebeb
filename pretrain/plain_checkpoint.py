"""Checkpoints that pickle to plain types only, for every mmengine run of the suite (pretraining, classification,
detection, segmentation). mmengine's resume reads checkpoints with `torch.load`, which defaults to
`weights_only=True` since torch 2.6; a stock mmengine checkpoint holds `HistoryBuffer` objects and numpy values
that this refuses. Converting them to lists and numbers on save (and back on load) keeps safe loading on with
nothing allow-listed. Imports mmengine and numpy only: no model or dataset registration.
"""
import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.registry import HOOKS

_BUFFER_TAG = "__history_buffer__"


def to_plain(obj):
    """Tensors stay; HistoryBuffers become tagged dicts of lists; numpy becomes Python numbers and lists."""
    if isinstance(obj, HistoryBuffer):
        logs, counts = obj.data
        return {_BUFFER_TAG: True, "log": np.asarray(logs).tolist(), "count": np.asarray(counts).tolist(),
                "max_length": obj.max_length}
    if isinstance(obj, dict):
        return {key: to_plain(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(value) for value in obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def from_plain(obj):
    if isinstance(obj, dict):
        if obj.get(_BUFFER_TAG):
            return HistoryBuffer(obj["log"], obj["count"], obj["max_length"])
        return {key: from_plain(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [from_plain(value) for value in obj]
    return obj


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Converts the whole checkpoint with `to_plain` before saving and restores the message hub's buffers after
    loading (the runner reads the message hub only after every `after_load_checkpoint` hook has run)."""

    priority = "VERY_LOW"  # save: after every other hook has added its part to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault("meta", {})["world_size"] = runner.world_size  # the export's epoch count needs it
        for key in list(checkpoint):
            checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if "message_hub" in checkpoint:
            checkpoint["message_hub"] = from_plain(checkpoint["message_hub"])
