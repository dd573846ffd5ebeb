"""Datasets used by the replication suite (synthetic scenes generator lives in ``scenes``)."""
