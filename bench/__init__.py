"""Benchmarks. ``python -m bench`` runs them all; each prints ratios to an in-process baseline."""
