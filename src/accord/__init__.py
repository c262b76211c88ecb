"""Accord: data sharing under the CalHHS Data-Sharing Guidebook."""

__version__ = "0.1.0"
