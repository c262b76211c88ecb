"""The table as a full cube over dimension trees, with every margin materialised.

A long-format table (one row per cell) is placed into a dense array over the product of the
dimension trees, so margins at every level exist whether or not they were printed. Dense is
deliberate: a 650,000-cell table fits in a few megabytes and every group operation becomes an
array operation (DDG.md §10.4 asks for every additive group of multi-way tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from accord.deid.model.hierarchy import Dimension, IntArray

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Cube:
    """Values over the full product of dimension trees.

    `values` holds true counts (NaN where a cell's value is unknown, e.g. a blank in a table
    published elsewhere). `row` maps a cell to its input row or -1 when the cell was not printed.
    """

    dims: tuple[Dimension, ...]
    values: npt.NDArray[np.float64]
    row: IntArray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def size(self) -> int:
        return int(self.values.size)

    @cached_property
    def strides(self) -> IntArray:
        strides = np.ones(len(self.dims), dtype=np.int64)
        for j in range(len(self.dims) - 2, -1, -1):
            strides[j] = strides[j + 1] * self.dims[j + 1].size
        return strides

    def coords(self, cell: int) -> tuple[int, ...]:
        return tuple(int(x) for x in np.unravel_index(cell, self.shape))

    def cell_index(self, coords: Sequence[int]) -> int:
        return int(np.dot(np.asarray(coords, dtype=np.int64), self.strides))

    def labels(self, cell: int) -> dict[str, str]:
        return {d.name: d.codes[c] for d, c in zip(self.dims, self.coords(cell), strict=True)}

    @cached_property
    def is_interior(self) -> BoolArray:
        """Cells whose every coordinate is a leaf: not a total in any dimension."""
        mask = np.ones(self.shape, dtype=bool)
        for j, d in enumerate(self.dims):
            shape = [1] * len(self.dims)
            shape[j] = d.size
            mask &= d.is_leaf.reshape(shape)
        return mask.ravel()

    @cached_property
    def is_base(self) -> BoolArray:
        """Cells a table gives rather than sums: interior cells, and the total of a
        select-all-that-apply dimension, which is not the sum of its categories (§16 A22)."""
        mask = np.ones(self.shape, dtype=bool)
        for j, d in enumerate(self.dims):
            shape = [1] * len(self.dims)
            shape[j] = d.size
            given = d.is_leaf.copy()
            given[0] |= d.inclusive
            mask &= given.reshape(shape)
        return mask.ravel()

    @cached_property
    def coord_arrays(self) -> tuple[IntArray, ...]:
        grids = np.unravel_index(np.arange(self.size, dtype=np.int64), self.shape)
        return tuple(np.asarray(g, dtype=np.int64) for g in grids)


def sum_margins(
    dims: Sequence[Dimension], leaf_values: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Fill every margin (each internal node of each dimension) from the base cells.

    Summing one dimension at a time, deepest nodes first, yields all margins of all orders. A
    select-all-that-apply dimension is not summed: its total is given (Cube.is_base).
    """
    shape = tuple(d.size for d in dims)
    v = leaf_values.reshape(shape).copy()
    for j, d in enumerate(dims):
        if d.inclusive:
            continue
        view = np.moveaxis(v, j, 0)
        for node in d.internal_bottom_up:
            view[node] = view[list(d.children[node])].sum(axis=0)
    return v.ravel()


def cube_from_codes(
    dims: Sequence[Dimension],
    codes: Sequence[IntArray],
    counts: npt.NDArray[np.float64],
) -> Cube:
    """Build a cube from rows already encoded as node indices (one array per dimension).

    Rows at base cells (Cube.is_base) fill them; margins are summed from them. Rows at margin
    coordinates are remembered as printed (their own values are checked by the validator).
    """
    dims_t = tuple(dims)
    shape = tuple(d.size for d in dims_t)
    n = int(np.prod(shape))
    flat = (
        np.ravel_multi_index(tuple(np.asarray(c) for c in codes), shape)
        if len(counts)
        else (np.zeros(0, dtype=np.int64))
    )
    flat = np.asarray(flat, dtype=np.int64)
    leaf_values = np.zeros(n, dtype=np.float64)
    row = np.full(n, -1, dtype=np.int64)
    row[flat] = np.arange(len(counts), dtype=np.int64)
    base = Cube(dims_t, leaf_values, row).is_base
    base_row = base[flat]
    leaf_values[flat[base_row]] = counts[base_row]
    values = sum_margins(dims_t, leaf_values)
    return Cube(dims_t, values, row)
