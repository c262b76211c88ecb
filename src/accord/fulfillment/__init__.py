"""Fulfillment: from an approved agreement to a de-identified, packaged, delivered dataset.

The plan (``plan``) is derived from the agreement record alone; extraction (``extract``) runs
it through Ibis on the engine where the data lives; record-level rules (``rules``) are Ibis
expressions where the engine can compute them and Arrow compute where it cannot (the keyed
hash); the package (``package``) is written to a temporary folder and moved into place whole;
deliveries (``sftp``, ``links``) send only complete, checksummed packages.
"""
