"""Shared builders: small tables written as the DDG prints them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from accord.config import Settings
from accord.deid.model.cube import Cube, cube_from_codes
from accord.deid.model.groups import Groups, build_groups
from accord.deid.model.hierarchy import build_dimension
from tests.cli.test_cli import cli_env  # noqa: F401 - fixture
from tests.factories import make_user

# a two-way table in long format with its margins and a rate; A/young (3) is small
COUNTY_AGE_CSV = """county,age,n,rate
A,young,3,0.1
A,old,40,1.2
A,Total,43,1.3
B,young,25,0.5
B,old,30,0.6
B,Total,55,1.1
C,young,12,0.0
C,old,0,0.0
C,Total,12,0.0
Total,young,40,0.4
Total,old,70,0.7
Total,Total,110,1.1
"""


def make_cube(
    leaves: Mapping[tuple[str, ...], int],
    dims: Sequence[str],
    hierarchies: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[Cube, Groups]:
    """Cube from leaf values keyed by category tuples; margins are summed."""
    hierarchies = hierarchies or {}
    built = []
    for j, name in enumerate(dims):
        observed = [k[j] for k in leaves]
        dim, problems = build_dimension(name, observed, "Total", hierarchies.get(name))
        assert dim is not None, problems
        built.append(dim)
    codes = [np.array([d.index[k[j]] for k in leaves], dtype=np.int64) for j, d in enumerate(built)]
    cube = cube_from_codes(built, codes, np.array(list(leaves.values()), dtype=np.float64))
    return cube, build_groups(cube)


def cell_of(cube: Cube, **labels: str) -> int:
    coords = [d.index[labels.get(d.name, "Total")] for d in cube.dims]
    return cube.cell_index(coords)


@pytest.fixture
def one_way_examples() -> dict[str, dict[str, int]]:
    """DDG 4.4.3 Examples 1, 2 and 4 (one-way tables, total published)."""
    return {
        "ex1": {"A1": 10, "A2": 14, "A3": 10, "A4": 10, "A5": 0, "A6": 0, "A7": 0, "A8": 30},
        "ex2": {"A1": 10, "A2": 14, "A3": 9, "A4": 17, "A5": 0, "A6": 0, "A7": 0, "A8": 30},
        "ex4": {"A1": 14, "A2": 14, "A3": 1, "A4": 11, "A5": 0, "A6": 0, "A7": 0, "A8": 30},
    }


@pytest.fixture
def deid_user(cli_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:  # noqa: F811
    """`accord deid release` acts as a user: a data coordinator, named by ACCORD_USER."""
    make_user(cli_env, "dana", "data_coordinator")
    monkeypatch.setenv("ACCORD_USER", "dana")
    return cli_env
