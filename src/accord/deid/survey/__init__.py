"""Survey data (DDG.md §12): each survey's reliability and confidentiality rules.

`reliability` holds the rules and the survey profiles; `release_rules` applies them to the
rows of a release (confidentiality cells become primary suppressions, unreliable estimates
are flagged or withheld).
"""
