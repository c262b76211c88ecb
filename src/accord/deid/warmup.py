"""Compile the perturbation search before the first table needs it.

Numba compiles on first use and caches the result on disk next to the sources; a fresh install
would otherwise make the first release wait 10–20 s. The table below is chosen so that every
compiled path runs: a margin of 10 over small parts needs the wider search, pruning and
chained perturbations.
"""

from __future__ import annotations

import numpy as np

from accord.deid.disclosure.check import audit_pattern, exact_disclosures
from accord.deid.masking.suppression import suppress_cube
from accord.deid.model.cube import Cube, sum_margins
from accord.deid.model.groups import build_groups
from accord.deid.model.hierarchy import flat_dimension
from accord.deid.spec.params import Parameters


def warm_up() -> None:
    parts = [2, 1, 1, 3, 1, 1, 1, 0]
    dims = [
        flat_dimension("row", ["r1", "r2", "r3"], "T"),
        flat_dimension("col", [f"c{i}" for i in range(len(parts))], "T"),
    ]
    leaf = np.zeros((4, len(parts) + 1))
    leaf[1, 1:] = parts
    leaf[2, 1:] = [40 + i for i in range(len(parts))]
    leaf[3, 1:] = [55 + i for i in range(len(parts))]
    rows = np.full(leaf.size, -1, dtype=np.int64)
    cube = Cube(tuple(dims), sum_margins(dims, leaf.ravel()), rows)
    groups = build_groups(cube)
    params = Parameters()
    result = suppress_cube(cube, groups, params)
    audit_pattern(cube, groups, result.status, params)
    exact_disclosures(cube, groups, result.status, params)
