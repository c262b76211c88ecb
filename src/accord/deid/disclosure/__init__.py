"""The disclosure audit (DDG.md §10.5): what a reader can still work out about withheld cells.

Not to be confused with `accord.auth.audit`, the tamper-evident log of who did what: this is a
check on a table. `check` computes each withheld cell's feasible interval from perturbation
proofs; `derivable` is the independent exact-arithmetic check that no equation fixes a cell;
`published` audits a table already published elsewhere.
"""
