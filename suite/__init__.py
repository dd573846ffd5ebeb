"""Small shared utilities (run records, provenance) used by both `pretrain` and `downstream`.

Imports only the standard library at module level, so importing it has no side effects on training.
"""
