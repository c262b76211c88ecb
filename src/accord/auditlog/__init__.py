"""The audit log read by people: entries with names and words, filters, pages and CSV.

``accord.auth.audit`` writes and verifies the chain; this package only reads it, and names the
records entries point at (fields, datasets, proposals…), which ``auth`` must not import.
"""
