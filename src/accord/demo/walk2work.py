"""Walk 2 Work: employees who commute on foot, by bicycle, by transit or in shared rides.

Its events are the commute trips participants log, each tied to their enrolment and employer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from accord.demo import names
from accord.demo.people import CITY_COUNTY, IntArray, Population, iso_dates
from accord.demo.programs import (
    ProgramDesign,
    Rng,
    TableBatch,
    activity_cdf,
    chunks,
    days_within,
    draw_places,
    enrolment_spans,
    invented_names,
    people_batches,
    pick_local,
    pick_weighted,
    sequential_ids,
)

# fmt: off
# code, description, active travel, typical one-way km, km/h, share of trips
COMMUTE_MODES: tuple[tuple[str, str, bool, float, float, float], ...] = (
    ("WALK", "Walking", True, 1.8, 5.0, 0.28),
    ("RUN", "Running", True, 4.0, 10.0, 0.05),
    ("BIKE", "Bicycle", True, 7.0, 16.0, 0.20),
    ("EBIKE", "Electric bicycle", True, 9.0, 22.0, 0.07),
    ("SCOOTER", "Kick or electric scooter", True, 3.0, 14.0, 0.04),
    ("TRANSIT", "Public transit: bus, light rail or train", False, 14.0, 24.0, 0.22),
    ("CARPOOL", "Carpool of two or more commuters", False, 22.0, 40.0, 0.10),
    ("VANPOOL", "Vanpool", False, 35.0, 45.0, 0.04),
)
# fmt: on
_MODE_CODES = np.array([m[0] for m in COMMUTE_MODES])
_MODE_KM = np.array([m[3] for m in COMMUTE_MODES])
_MODE_SPEED = np.array([m[4] for m in COMMUTE_MODES])
_MODE_P = np.array([m[5] for m in COMMUTE_MODES]) / sum(m[5] for m in COMMUTE_MODES)
_TIERS = ("bronze", "silver", "gold")

WALK2WORK_DDL = """
CREATE TABLE commute_mode (
    mode_code VARCHAR(10) PRIMARY KEY,
    description VARCHAR(60) NOT NULL,
    is_active_travel BOOLEAN NOT NULL
);
CREATE TABLE employer (
    employer_id INTEGER PRIMARY KEY,
    employer_name VARCHAR(80) NOT NULL,
    industry VARCHAR(60) NOT NULL,
    county CHAR(5) NOT NULL REFERENCES county_code (county_code),
    worksite_zip CHAR(5) NOT NULL,
    employee_count INTEGER NOT NULL
);
CREATE TABLE enrollment (
    enrollment_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person (person_id),
    employer_id INTEGER NOT NULL REFERENCES employer (employer_id),
    enrolled_on DATE NOT NULL,
    exited_on DATE,
    weekly_trip_goal INTEGER NOT NULL,
    incentive_tier VARCHAR(10) NOT NULL
);
CREATE INDEX enrollment_person_idx ON enrollment (person_id);
CREATE TABLE commute_trip (
    trip_id INTEGER PRIMARY KEY,
    enrollment_id INTEGER NOT NULL REFERENCES enrollment (enrollment_id),
    trip_date DATE NOT NULL,
    mode_code VARCHAR(10) NOT NULL REFERENCES commute_mode (mode_code),
    distance_km REAL NOT NULL,
    duration_minutes INTEGER NOT NULL,
    gps_verified BOOLEAN NOT NULL
);
"""
WALK2WORK_FINISH = """
CREATE INDEX commute_trip_enrollment_idx ON commute_trip (enrollment_id);
CREATE INDEX commute_trip_date_idx ON commute_trip (trip_date);
CREATE VIEW monthly_commute_summary AS
SELECT substr(t.trip_date, 1, 7) AS trip_month, t.mode_code, m.is_active_travel,
       count(*) AS trips, count(DISTINCT t.enrollment_id) AS participants,
       round(sum(t.distance_km), 1) AS distance_km, sum(t.duration_minutes) AS minutes
FROM commute_trip AS t JOIN commute_mode AS m ON m.mode_code = t.mode_code
GROUP BY trip_month, t.mode_code, m.is_active_travel;
"""


def _build_walk2work(
    rng: Rng, population: Population, members: IntArray, events: int, chunk: int
) -> Iterator[TableBatch]:
    n = len(members)
    yield from people_batches(population, members)
    yield TableBatch("commute_mode", [(m[0], m[1], int(m[2])) for m in COMMUTE_MODES])
    employers = max(20, n // 40)
    city, _, _, county, zips = draw_places(rng, employers)
    suffixes = rng.integers(0, len(names.EMPLOYER_SUFFIXES), size=employers).tolist()
    titles = [
        f"{title} {names.EMPLOYER_SUFFIXES[s]}".strip()
        for title, s in zip(
            invented_names(rng, employers, names.EMPLOYER_NOUNS), suffixes, strict=True
        )
    ]
    industry = rng.integers(0, len(names.INDUSTRIES), size=employers).tolist()
    staff = np.rint(rng.lognormal(4.5, 1.3, employers)).astype(np.int64) + 5
    yield TableBatch(
        "employer",
        [
            (i + 1, titles[i], names.INDUSTRIES[industry[i]], county[i], zips[i], int(staff[i]))
            for i in range(employers)
        ],
    )
    employer = pick_local(rng, population.county[members], CITY_COUNTY[city]) + 1
    spans = enrolment_spans(rng, n)
    goal = rng.integers(3, 11, size=n).tolist()
    tier = rng.choice(3, size=n, p=[0.5, 0.35, 0.15]).tolist()
    yield TableBatch(
        "enrollment",
        [
            (
                i + 1,
                i + 1,
                int(employer[i]),
                spans.enrolled_on[i],
                spans.exited_on[i],
                goal[i],
                _TIERS[tier[i]],
            )
            for i in range(n)
        ],
    )
    preferred = rng.choice(len(_MODE_P), size=n, p=_MODE_P)
    cdf = activity_cdf(rng, spans)
    for start, size in chunks(events, chunk):
        who = pick_weighted(rng, cdf, size)
        day = days_within(rng, spans.first[who], spans.last[who])
        weekday = (day + 3) % 7  # Monday is 0; 1970-01-01 was a Thursday
        # Commuting is a weekday habit: most weekend trips move to a day of the week before.
        back = weekday - 4 + rng.integers(0, 5, size=size)
        moved = (weekday >= 5) & (rng.random(size) < 0.8)
        day = np.where(moved, np.maximum(day - back, spans.first[who]), day)
        mode = np.where(
            rng.random(size) < 0.7, preferred[who], rng.choice(len(_MODE_P), size=size, p=_MODE_P)
        )
        km = np.maximum(np.round(_MODE_KM[mode] * rng.lognormal(0.0, 0.45, size), 2), 0.2)
        pace = rng.lognormal(0.0, 0.15, size)
        minutes = np.maximum(np.rint(km / _MODE_SPEED[mode] * 60 * pace), 1).astype(np.int64)
        verified = (rng.random(size) < 0.85).astype(np.int64)
        yield TableBatch(
            "commute_trip",
            list(
                zip(
                    sequential_ids(start, size),
                    (who + 1).tolist(),
                    iso_dates(day),
                    _MODE_CODES[mode].tolist(),
                    km.tolist(),
                    minutes.tolist(),
                    verified.tolist(),
                    strict=True,
                )
            ),
        )


WALK2WORK = ProgramDesign(
    program="Walk 2 Work",
    slug="walk2work",
    stream=1,
    min_age=22,
    max_age=67,
    event_table="commute_trip",
    schema=WALK2WORK_DDL,
    finish=WALK2WORK_FINISH,
    build=_build_walk2work,
)
