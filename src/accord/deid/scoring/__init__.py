"""Steps 1–3 of the release procedure (DDG.md §5–§9): does this table need masking?

`steps` proposes step 1 and checks step 2 (numerator–denominator) and the step-3 outcome;
`scoring` computes the publication scoring criteria from the band tables in `bands` and the
reference populations in `reference` (§R); `assessment` puts them together for one table.
"""
