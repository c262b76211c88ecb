"""The JSON API under /api/v1, one module per capability; request and response models are
in ``schemas``."""
