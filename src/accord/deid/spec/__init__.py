"""What a release is told (DDG.md §3, §15): the table's SPEC and the department's parameters.

`spec` reads the YAML SPEC (which columns are dimensions, counts, denominators, statistics,
and every option a release takes); `params` holds the department's parameters, each defaulting
to the DDG's own value.
"""
