"""Reference populations of DDG.md §R, shipped as CSV so departments can swap in newer vintages.

Every score that uses one of these figures should record the figure and its source (§R.4); the
`source` column carries that provenance.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def load(name: str) -> tuple[dict[str, str], ...]:
    """Rows of data/<name>.csv as dictionaries (cached: the files are small and immutable)."""
    path = resources.files("accord.deid").joinpath("data").joinpath(f"{name}.csv")
    text = path.read_text("utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def _lookup(name: str, key: str, value: str, label: str) -> int | None:
    wanted = label.strip().casefold()
    for row in load(name):
        if row[key].casefold() == wanted:
            return int(row[value])
    return None


def language_population(label: str) -> int | None:
    return _lookup("languages", "language", "estimate", label)


def program_enrollment(label: str) -> int | None:
    return _lookup("programs", "program", "enrollment", label)


def race_population(label: str) -> int | None:
    return _lookup("race_ethnicity", "group", "population", label)
