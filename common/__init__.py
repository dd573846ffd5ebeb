"""The ground floor: what every stage writes or needs to start — the run record (`records`) and process launch
(`launch`). Layers (contracts.md v5): `common` → `pretrain` → `downstream` → `suite`; a module imports only its
own folder and those before it (`tests/test_layers.py`).

Imports only the standard library at module level, so importing it has no side effects on training.
"""
