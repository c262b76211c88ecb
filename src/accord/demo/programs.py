"""What a program database is made of, and the pieces the three programs share.

Each program is a ``ProgramDesign``: the DDL of its database and a builder that yields rows
table by table, parents before children, with the activity events last and in chunks so that
ten million of them never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from accord.demo import names
from accord.demo.people import (
    CITY_COUNTY,
    CITY_NAMES,
    CITY_P,
    CITY_ZIP_LOW,
    CITY_ZIP_SPAN,
    COUNTY_FIPS,
    WINDOW_END,
    WINDOW_START,
    FloatArray,
    IntArray,
    Population,
    Row,
    county_rows,
    iso_dates,
    person_rows,
    uniform_index,
    with_nulls,
)

Rng = np.random.Generator
PERSON_SLICE = 50_000


@dataclass(frozen=True)
class TableBatch:
    """Rows for one table, each tuple in the column order of its CREATE TABLE."""

    table: str
    rows: list[Row]


Builder = Callable[[Rng, Population, IntArray, int, int], Iterator[TableBatch]]


@dataclass(frozen=True)
class ProgramDesign:
    """What the writer needs to build one program's database."""

    program: str
    slug: str
    stream: int  # keeps each program's random stream apart from the others
    min_age: int
    max_age: int
    event_table: str
    schema: str  # the program's own tables, created after county_code and person
    finish: str  # indexes on the event table and the summary view, run after loading
    build: Builder


Places = tuple[IntArray, list[str], list[str], list[str], list[str]]


def draw_places(rng: Rng, count: int) -> Places:
    """Draw population-weighted places: city index, street address, city, county code, ZIP."""
    city = rng.choice(len(CITY_P), size=count, p=CITY_P).astype(np.int64)
    zips = CITY_ZIP_LOW[city] + uniform_index(rng, CITY_ZIP_SPAN[city])
    numbers = rng.integers(100, 20_000, size=count).tolist()
    streets = rng.integers(0, len(names.STREET_NAMES), size=count).tolist()
    suffixes = rng.integers(0, len(names.STREET_SUFFIXES), size=count).tolist()
    addresses = [
        f"{n} {names.STREET_NAMES[s]} {names.STREET_SUFFIXES[x]}"
        for n, s, x in zip(numbers, streets, suffixes, strict=True)
    ]
    return (
        city,
        addresses,
        CITY_NAMES[city].tolist(),
        COUNTY_FIPS[CITY_COUNTY[city]].tolist(),
        [f"{z:05d}" for z in zips.tolist()],
    )


def pick_local(rng: Rng, person_county: IntArray, site_county: IntArray) -> IntArray:
    """Give each person a site in their own county when there is one, else any site."""
    order = np.argsort(site_county, kind="stable")
    counts = np.bincount(site_county, minlength=len(COUNTY_FIPS))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = person_county.shape[0]
    local_count = counts[person_county]
    offset = (rng.random(n) * np.maximum(local_count, 1)).astype(np.int64)
    local = order[np.minimum(starts[person_county] + offset, order.shape[0] - 1)]
    anywhere = rng.integers(0, site_county.shape[0], size=n)
    picked: IntArray = np.where(local_count > 0, local, anywhere)
    return picked


@dataclass(frozen=True)
class Spans:
    """Enrolment periods; events of a member fall between first and last."""

    enrolled: IntArray
    first: IntArray
    last: IntArray
    enrolled_on: list[str]
    exited_on: list[object]


def enrolment_spans(rng: Rng, n: int) -> Spans:
    """One enrolment per member; some began before the window, three in ten have ended."""
    enrolled = rng.integers(WINDOW_START - 365, WINDOW_END - 60, size=n)
    exits = rng.random(n) < 0.3
    earliest_exit = np.maximum(enrolled + 60, WINDOW_START + 30)
    exited = earliest_exit + (rng.random(n) * (WINDOW_END - earliest_exit)).astype(np.int64)
    exited_text = np.array(iso_dates(exited), dtype=object)
    return Spans(
        enrolled=enrolled,
        first=np.maximum(enrolled, WINDOW_START),
        last=np.where(exits, exited, WINDOW_END),
        enrolled_on=iso_dates(enrolled),
        exited_on=with_nulls(exited_text, ~exits),
    )


def activity_cdf(rng: Rng, spans: Spans) -> FloatArray:
    """Some members log far more events than others; longer enrolments log more."""
    weight = rng.lognormal(0.0, 0.8, spans.first.shape[0]) * (spans.last - spans.first + 1)
    cdf: FloatArray = np.cumsum(weight) / weight.sum()
    return cdf


def pick_weighted(rng: Rng, cdf: FloatArray, size: int) -> IntArray:
    """Draw members by activity; a search in the CDF is much faster than choice(p=...)."""
    picked: IntArray = np.minimum(
        np.searchsorted(cdf, rng.random(size), side="right"), cdf.shape[0] - 1
    )
    return picked


def days_within(rng: Rng, first: IntArray, last: IntArray) -> IntArray:
    """A uniform day between first and last inclusive, per element."""
    days: IntArray = first + (rng.random(first.shape[0]) * (last - first + 1)).astype(np.int64)
    return days


def chunks(events: int, chunk: int) -> Iterator[tuple[int, int]]:
    """Offsets and sizes that bound memory whatever the number of events."""
    for start in range(0, events, chunk):
        yield start, min(chunk, events - start)


def sequential_ids(start: int, size: int) -> list[int]:
    """Primary keys that continue from one chunk to the next."""
    ids: list[int] = np.arange(start + 1, start + size + 1, dtype=np.int64).tolist()
    return ids


def invented_names(rng: Rng, count: int, nouns: tuple[str, ...]) -> list[str]:
    """Organisation names made of an adjective and a noun, so none is a real business."""
    adjectives = rng.integers(0, len(names.NAME_ADJECTIVES), size=count).tolist()
    picked = rng.integers(0, len(nouns), size=count).tolist()
    return [
        f"{names.NAME_ADJECTIVES[a]} {nouns[b]}" for a, b in zip(adjectives, picked, strict=True)
    ]


def people_batches(population: Population, members: IntArray) -> Iterator[TableBatch]:
    """The lookup and person rows every program database starts with."""
    yield TableBatch("county_code", county_rows())
    # In slices: person rows are the widest, and a full list of them would dominate memory.
    for start in range(0, len(members), PERSON_SLICE):
        yield TableBatch(
            "person", person_rows(population, members[start : start + PERSON_SLICE], start + 1)
        )
