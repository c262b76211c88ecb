"""Additive groups: every "total = sum of its parts" relation a reader can use.

Each internal node of each dimension, crossed with every combination of the other dimensions'
nodes, gives one group: the cell at the parent plus the cells at its children (rows and columns
with their margins, hierarchy parents with their children — DDG.md §2 "additive group", §10.4).
Stored as compressed rows so the suppression loop can update per-group tallies in O(1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from accord.deid.model.cube import Cube
from accord.deid.model.hierarchy import IntArray


@dataclass(frozen=True)
class Groups:
    """Group g's members are cells[ptr[g]:ptr[g+1]]; the first member is the group's total."""

    ptr: IntArray
    cells: IntArray
    dim: IntArray
    n_cells: int

    @property
    def count(self) -> int:
        return len(self.ptr) - 1

    def members(self, g: int) -> IntArray:
        return self.cells[self.ptr[g] : self.ptr[g + 1]]

    def total(self, g: int) -> int:
        return int(self.cells[self.ptr[g]])

    @cached_property
    def inverse(self) -> tuple[IntArray, IntArray]:
        group_of_entry = np.repeat(np.arange(self.count, dtype=np.int64), np.diff(self.ptr))
        order = np.argsort(self.cells, kind="stable")
        counts = np.bincount(self.cells, minlength=self.n_cells)
        cell_ptr = np.zeros(self.n_cells + 1, dtype=np.int64)
        np.cumsum(counts, out=cell_ptr[1:])
        return cell_ptr, group_of_entry[order]

    def groups_of(self, cell: int) -> IntArray:
        cell_ptr, cell_groups = self.inverse
        return cell_groups[cell_ptr[cell] : cell_ptr[cell + 1]]

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Rows are groups: +1 for the total, -1 for each part, so matrix @ values == 0."""
        data = np.full(len(self.cells), -1.0)
        data[self.ptr[:-1]] = 1.0
        return sp.csr_matrix((data, self.cells, self.ptr), shape=(self.count, self.n_cells))


def build_groups(cube: Cube) -> Groups:
    """All additive groups of the cube; dimensions marked inclusive contribute none (§16 A22)."""
    shape = cube.shape
    index = np.arange(cube.size, dtype=np.int64).reshape(shape)
    strides = cube.strides
    blocks: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    dims: list[np.ndarray] = []
    for j, d in enumerate(cube.dims):
        if d.inclusive:
            continue
        base = np.take(index, 0, axis=j).ravel()
        for node in range(d.size):
            kids = d.children[node]
            if not kids:
                continue
            nodes = np.array((node, *kids), dtype=np.int64)
            block = base[:, None] + nodes[None, :] * strides[j]
            blocks.append(block.ravel())
            sizes.append(np.full(len(base), len(nodes), dtype=np.int64))
            dims.append(np.full(len(base), j, dtype=np.int64))
    if not blocks:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(np.zeros(1, dtype=np.int64), empty, empty, cube.size)
    size_arr = np.concatenate(sizes)
    ptr = np.zeros(len(size_arr) + 1, dtype=np.int64)
    np.cumsum(size_arr, out=ptr[1:])
    return Groups(ptr, np.concatenate(blocks), np.concatenate(dims), cube.size)


def no_groups(cube: Cube) -> Groups:
    """When no total is known (margins unpublished and not assumed public) nothing is additive."""
    empty = np.zeros(0, dtype=np.int64)
    return Groups(np.zeros(1, dtype=np.int64), empty, empty, cube.size)
