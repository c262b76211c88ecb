"""Step 4, statistical masking (DDG.md §10.1–§10.4, §10.6).

`suppression` applies primary and complementary suppression under the group rules R1–R5,
protecting each primary cell with the perturbations `protection` finds through the compiled
search in `hypercube`; `loss_bound` bounds how few complements any pattern could use.
`recode` and `aggregation` coarsen categories (§10.1), `percent` publishes three-category
variables as percentages (§10.6), `linked` handles linked and successive releases (R6).
"""
