"""The synthetic population behind the demo programs."""

from __future__ import annotations

import numpy as np

from accord.demo.people import WINDOW_END, build_population, enrol, person_rows


def test_identifiers_stay_distinct_across_a_large_population() -> None:
    population = build_population(np.random.default_rng(1), 60_000)
    assert len(np.unique(population.ssn_slot)) == 60_000
    cins = population.cin_slot[population.cin_slot >= 0]
    assert len(np.unique(cins)) == len(cins)


def test_enrolment_respects_the_age_limits() -> None:
    population = build_population(np.random.default_rng(2), 5_000)
    members = enrol(np.random.default_rng(3), population, 1_000, 22, 67)
    ages = population.age_on(WINDOW_END)[members]
    assert ages.min() >= 22
    assert ages.max() <= 67
    assert list(members) == sorted(set(members.tolist()))


def test_children_have_no_email() -> None:
    population = build_population(np.random.default_rng(4), 5_000)
    children = np.flatnonzero(population.age_on(WINDOW_END) < 13)
    assert all(row[12] is None for row in person_rows(population, children))
