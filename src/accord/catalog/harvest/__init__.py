"""Reading the technical baseline of datasets from real sources, one module per kind."""
