"""Whether a finished run still stands for what this checkout would produce (contracts v5, record schema 2).

A schema-2 record pins its config (file hash), code (each imported file of the suite's packages, hashed),
environment (uv.lock or the package list) and inputs (data content hash, input checkpoint). It is *current* when
all of them match now, *stale* otherwise (kept and reported with its number, marked; `--rerun-stale` supersedes it).
A schema-1 record pins none of code, environment or data: it is *legacy* — shown as such, neither stale nor rerun.
"""
from __future__ import annotations

import functools
from pathlib import Path

from common.records import changed_code, config_file_sha256, content_sha256, environment, same_environment

CURRENT, STALE, LEGACY = "current", "stale", "legacy"
LEGACY_NOTE = "legacy: inputs/code not pinned"


@functools.lru_cache(maxsize=1)
def current_environment() -> dict:
    return environment()


@functools.lru_cache(maxsize=64)
def _config_hash(config: str) -> str:
    return config_file_sha256(config)


@functools.lru_cache(maxsize=64)
def current_data_hash(path: str, hashed: str) -> str | None:
    """The content hash of a dataset folder now, the way the record hashed it; None when it is not here."""
    if not Path(path).exists():
        return None
    if hashed == "cifar10-arrays":
        from pretrain.datasets.cifar import fingerprint
        try:
            return fingerprint(path)["sha256"]
        except (FileNotFoundError, ValueError):
            return None
    return content_sha256(path)["sha256"] if hashed == "content" else None


def _config_changed(record: dict, config: str | None) -> bool:
    config = config or record.get("config")
    return bool(config) and Path(config).is_file() and \
        record.get("config_file_sha256") != _config_hash(str(config))


def _checkpoint_changed(record: dict, checkpoint_sha256: str | None) -> bool:
    recorded = ((record.get("inputs") or {}).get("checkpoint") or {}).get("sha256")
    return bool(checkpoint_sha256 and recorded and checkpoint_sha256 != recorded)


def legacy_reasons(record: dict, config: str | None = None, *, checkpoint_sha256: str | None = None) -> list[str]:
    """What a schema-1 record can still be held to: its config file and its input checkpoint."""
    reasons = []
    if _config_changed(record, config):
        reasons.append("config changed")
    if _checkpoint_changed(record, checkpoint_sha256):
        reasons.append("input checkpoint changed (its pretraining was redone)")
    return reasons


def stale_reasons(record: dict, config: str | None = None, *, checkpoint_sha256: str | None = None,
                  data_root: str | None = None) -> list[str]:
    """Why a finished schema-2 record no longer matches this checkout (empty: current). `config`: the config
    file the plan would run now (default: the record's own); `checkpoint_sha256`: the input checkpoint the run
    would read now (its pretraining's output); `data_root`: where to re-hash its data (left out: not checked)."""
    reasons = legacy_reasons(record, config, checkpoint_sha256=checkpoint_sha256)
    changed = changed_code(record.get("code"))
    if changed:
        reasons.append("code changed: " + ", ".join(changed[:3]) + (f" and {len(changed) - 3} more"
                                                                    if len(changed) > 3 else ""))
    if not same_environment(record.get("environment"), current_environment()):
        reasons.append("environment changed (uv.lock / installed packages)")
    if data_root is not None:
        for name, entry in (record.get("inputs") or {}).items():
            if not name.startswith("dataset") or not (entry or {}).get("sha256") or entry.get("path") is None:
                continue
            now = current_data_hash(str(Path(data_root) / entry["path"]), entry.get("hashed", "content"))
            if now is not None and now != entry["sha256"]:
                reasons.append(f"data changed ({entry['path']})")
    return reasons


def freshness(record: dict, config: str | None = None, **kwargs) -> tuple[str, list[str]]:
    """(CURRENT | STALE | LEGACY, reasons)."""
    if int(record.get("schema") or 1) < 2:
        return LEGACY, [LEGACY_NOTE]
    reasons = stale_reasons(record, config, **kwargs)
    return (STALE if reasons else CURRENT), reasons
