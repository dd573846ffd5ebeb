"""Datasets used by the replication suite (the synthetic scenes generator: ``scenes`` writes the dataset,
``scenes_render`` draws a scene)."""
