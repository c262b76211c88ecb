"""The data model the rules work on (DDG.md §2): long tables, dimension trees, cubes, groups.

`tables` reads and validates a long-format table into a cube over `hierarchy`'s dimension
trees (`cube`), every margin materialised; `groups` lists the additive groups a reader can
use; `availability` carries the rows marked "no data" or "incomplete" (§11.1 rule 3).
"""
