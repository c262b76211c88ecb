"""The three programs of the California Department of Wellness: schema and synthetic records.

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
    CITY_AREA_CODE,
    CITY_COUNTY,
    CITY_NAMES,
    CITY_P,
    CITY_ZIP_LOW,
    CITY_ZIP_SPAN,
    COUNTY_FIPS,
    PERSON_DDL,
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
    schema: str  # tables, run before loading
    finish: str  # indexes on the event table and the summary view, run after loading
    build: Builder


# -- shared pieces -------------------------------------------------------------------------

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
        city, addresses, CITY_NAMES[city].tolist(), COUNTY_FIPS[CITY_COUNTY[city]].tolist(),
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
    picked: IntArray = np.minimum(
        np.searchsorted(cdf, rng.random(size), side="right"), cdf.shape[0] - 1
    )
    return picked


def days_within(rng: Rng, first: IntArray, last: IntArray) -> IntArray:
    days: IntArray = first + (rng.random(first.shape[0]) * (last - first + 1)).astype(np.int64)
    return days


def chunks(events: int, chunk: int) -> Iterator[tuple[int, int]]:
    for start in range(0, events, chunk):
        yield start, min(chunk, events - start)


def sequential_ids(start: int, size: int) -> list[int]:
    ids: list[int] = np.arange(start + 1, start + size + 1, dtype=np.int64).tolist()
    return ids


def invented_names(rng: Rng, count: int, nouns: tuple[str, ...]) -> list[str]:
    adjectives = rng.integers(0, len(names.NAME_ADJECTIVES), size=count).tolist()
    picked = rng.integers(0, len(nouns), size=count).tolist()
    return [
        f"{names.NAME_ADJECTIVES[a]} {nouns[b]}" for a, b in zip(adjectives, picked, strict=True)
    ]


def people_batches(population: Population, members: IntArray) -> Iterator[TableBatch]:
    yield TableBatch("county_code", county_rows())
    yield TableBatch("person", person_rows(population, members))


# -- Walk 2 Work ---------------------------------------------------------------------------

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
_MODE_CODES = np.array([m[0] for m in COMMUTE_MODES])
_MODE_KM = np.array([m[3] for m in COMMUTE_MODES])
_MODE_SPEED = np.array([m[4] for m in COMMUTE_MODES])
_MODE_P = np.array([m[5] for m in COMMUTE_MODES]) / sum(m[5] for m in COMMUTE_MODES)
_TIERS = ("bronze", "silver", "gold")

WALK2WORK_DDL = PERSON_DDL + """
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
    yield TableBatch("employer", [
        (i + 1, titles[i], names.INDUSTRIES[industry[i]], county[i], zips[i], int(staff[i]))
        for i in range(employers)
    ])
    employer = pick_local(rng, population.county[members], CITY_COUNTY[city]) + 1
    spans = enrolment_spans(rng, n)
    goal = rng.integers(3, 11, size=n).tolist()
    tier = rng.choice(3, size=n, p=[0.5, 0.35, 0.15]).tolist()
    yield TableBatch("enrollment", [
        (i + 1, i + 1, int(employer[i]), spans.enrolled_on[i], spans.exited_on[i], goal[i],
         _TIERS[tier[i]])
        for i in range(n)
    ])
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
        yield TableBatch("commute_trip", list(zip(
            sequential_ids(start, size), (who + 1).tolist(), iso_dates(day),
            _MODE_CODES[mode].tolist(), km.tolist(), minutes.tolist(), verified.tolist(),
            strict=True,
        )))


# -- Healthy Habits ------------------------------------------------------------------------

# code, description, measures taken, share of screenings
SCREENING_TYPES: tuple[tuple[str, str, str, float], ...] = (
    ("WELL", "Annual wellness screening", "BMI, blood pressure", 0.35),
    ("DIAB", "Diabetes screening", "Hemoglobin A1c, BMI", 0.25),
    ("BP", "Blood pressure check", "Systolic and diastolic blood pressure", 0.25),
    ("LIPID", "Lipid panel", "Total cholesterol", 0.15),
)
_ENDOCRINE = "Endocrine, nutritional and metabolic diseases"
_CIRCULATORY = "Diseases of the circulatory system"
_MENTAL = "Mental, behavioral and neurodevelopmental disorders"
ICD10_CODES: tuple[tuple[str, str, str], ...] = (
    ("E11.9", "Type 2 diabetes mellitus without complications", _ENDOCRINE),
    ("R73.03", "Prediabetes", "Symptoms, signs and abnormal clinical and laboratory findings"),
    ("E66.9", "Obesity, unspecified", _ENDOCRINE),
    ("I10", "Essential (primary) hypertension", _CIRCULATORY),
    ("E78.5", "Hyperlipidemia, unspecified", _ENDOCRINE),
    ("Z72.0", "Tobacco use", "Factors influencing health status and contact with health services"),
    ("J45.909", "Unspecified asthma, uncomplicated", "Diseases of the respiratory system"),
    ("F32.9", "Major depressive disorder, single episode, unspecified", _MENTAL),
    ("F41.1", "Generalized anxiety disorder", _MENTAL),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis",
     "Diseases of the digestive system"),
    ("E03.9", "Hypothyroidism, unspecified", _ENDOCRINE),
    ("G47.33", "Obstructive sleep apnea (adult) (pediatric)", "Diseases of the nervous system"),
    ("M54.50", "Low back pain, unspecified",
     "Diseases of the musculoskeletal system and connective tissue"),
    ("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris",
     _CIRCULATORY),
)
_REFERRALS = ("Primary care provider", "Self-referral", "Employer wellness program",
              "Community health worker", "Medi-Cal managed care plan")
_TRACKS = ("Diabetes prevention", "Heart health", "Healthy weight", "Tobacco cessation",
           "General wellness")

HEALTHY_HABITS_DDL = PERSON_DDL + """
CREATE TABLE screening_type (
    screening_type_code VARCHAR(10) PRIMARY KEY,
    description VARCHAR(60) NOT NULL,
    measures VARCHAR(80) NOT NULL
);
CREATE TABLE icd10_code (
    icd10_code VARCHAR(8) PRIMARY KEY,
    description VARCHAR(120) NOT NULL,
    chapter VARCHAR(100) NOT NULL
);
CREATE TABLE clinic (
    clinic_id INTEGER PRIMARY KEY,
    clinic_name VARCHAR(80) NOT NULL,
    street_address VARCHAR(80) NOT NULL,
    city VARCHAR(40) NOT NULL,
    county CHAR(5) NOT NULL REFERENCES county_code (county_code),
    zip_code CHAR(5) NOT NULL,
    phone VARCHAR(14) NOT NULL
);
CREATE TABLE enrollment (
    enrollment_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person (person_id),
    clinic_id INTEGER NOT NULL REFERENCES clinic (clinic_id),
    enrolled_on DATE NOT NULL,
    exited_on DATE,
    referral_source VARCHAR(40) NOT NULL,
    coaching_track VARCHAR(40) NOT NULL
);
CREATE INDEX enrollment_person_idx ON enrollment (person_id);
CREATE TABLE health_condition (
    condition_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person (person_id),
    icd10_code VARCHAR(8) NOT NULL REFERENCES icd10_code (icd10_code),
    onset_date DATE NOT NULL,
    recorded_on DATE NOT NULL,
    status VARCHAR(10) NOT NULL
);
CREATE INDEX health_condition_person_idx ON health_condition (person_id);
CREATE TABLE screening (
    screening_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person (person_id),
    clinic_id INTEGER NOT NULL REFERENCES clinic (clinic_id),
    screening_date DATE NOT NULL,
    screening_type_code VARCHAR(10) NOT NULL REFERENCES screening_type (screening_type_code),
    bmi REAL,
    a1c_percent REAL,
    systolic_mmhg INTEGER,
    diastolic_mmhg INTEGER,
    total_cholesterol_mg_dl INTEGER
);
"""
HEALTHY_HABITS_FINISH = """
CREATE INDEX screening_person_idx ON screening (person_id);
CREATE INDEX screening_date_idx ON screening (screening_date);
CREATE VIEW monthly_screening_summary AS
SELECT substr(s.screening_date, 1, 7) AS screening_month, s.screening_type_code,
       count(*) AS screenings, count(DISTINCT s.person_id) AS people,
       round(avg(s.bmi), 1) AS mean_bmi, round(avg(s.a1c_percent), 2) AS mean_a1c_percent,
       sum(s.a1c_percent >= 6.5) AS a1c_at_or_above_6_5
FROM screening AS s
GROUP BY screening_month, s.screening_type_code;
"""


def _normal(rng: Rng, mean: float, sd: float, size: int) -> FloatArray:
    values: FloatArray = rng.normal(mean, sd, size)
    return values


def _build_healthy_habits(
    rng: Rng, population: Population, members: IntArray, events: int, chunk: int
) -> Iterator[TableBatch]:
    n = len(members)
    yield from people_batches(population, members)
    yield TableBatch("screening_type", [t[:3] for t in SCREENING_TYPES])
    yield TableBatch("icd10_code", list(ICD10_CODES))
    clinics = max(15, n // 150)
    city, streets, cities, county, zips = draw_places(rng, clinics)
    kinds = rng.integers(0, len(names.CLINIC_NOUNS), size=clinics).tolist()
    titles = [f"{cities[i]} {names.CLINIC_NOUNS[k]}" for i, k in enumerate(kinds)]
    lines = rng.integers(0, 100, size=clinics).tolist()
    area = CITY_AREA_CODE[city].tolist()
    yield TableBatch("clinic", [
        (i + 1, titles[i], streets[i], cities[i], county[i], zips[i],
         f"({area[i]}) 555-01{lines[i]:02d}")
        for i in range(clinics)
    ])
    # Health baselines: each member's measures drift around these over the program.
    age = population.age_on(WINDOW_END)[members]
    bmi = np.clip(_normal(rng, 28.3, 5.5, n) + 0.03 * (age - 45), 16, 55)
    diabetic = rng.random(n) < 0.06 + 0.10 * (bmi >= 30) + 0.05 * (age >= 55)
    prediabetic = ~diabetic & (rng.random(n) < 0.32)
    a1c = np.clip(np.select([diabetic, prediabetic], [_normal(rng, 7.6, 1.1, n),
                  _normal(rng, 6.0, 0.15, n)], _normal(rng, 5.3, 0.25, n)), 4.2, 13.5)
    sbp = np.clip(_normal(rng, 118, 13, n) + 0.5 * (bmi - 27) + 0.35 * (age - 45), 90, 200)
    dbp = np.clip(0.55 * sbp + _normal(rng, 10, 6, n), 50, 120)
    cholesterol = np.clip(_normal(rng, 190, 32, n), 110, 340)
    smoker = rng.random(n) < 0.11
    draw = rng.random((len(ICD10_CODES), n))
    has = np.stack([
        diabetic & (draw[0] < 0.9), prediabetic & (draw[1] < 0.5), (bmi >= 30) & (draw[2] < 0.6),
        (sbp >= 135) & (draw[3] < 0.7), (cholesterol >= 240) & (draw[4] < 0.6),
        smoker & (draw[5] < 0.8), draw[6] < 0.08, draw[7] < 0.07, draw[8] < 0.06,
        draw[9] < 0.05, draw[10] < 0.04, (bmi >= 30) & (draw[11] < 0.12), draw[12] < 0.06,
        (age >= 55) & (draw[13] < 0.06),
    ])
    clinic = pick_local(rng, population.county[members], CITY_COUNTY[city]) + 1
    spans = enrolment_spans(rng, n)
    referral = rng.integers(0, len(_REFERRALS), size=n).tolist()
    track = np.select([has[0] | has[1], has[3] | has[4], has[2], has[5]], [0, 1, 2, 3], 4).tolist()
    yield TableBatch("enrollment", [
        (i + 1, i + 1, int(clinic[i]), spans.enrolled_on[i], spans.exited_on[i],
         _REFERRALS[referral[i]], _TRACKS[track[i]])
        for i in range(n)
    ])
    code, who = np.nonzero(has)
    order = np.lexsort((code, who))
    code, who = code[order], who[order]
    onset = np.maximum(
        spans.enrolled[who] - rng.integers(0, 3650, size=who.shape[0]),
        population.birth_day[members][who] + 5 * 365,
    )
    recorded = np.minimum(
        np.maximum(onset, spans.enrolled[who]) + rng.integers(0, 31, size=len(who)), WINDOW_END
    )
    status = np.where(rng.random(who.shape[0]) < 0.9, "active", "resolved").tolist()
    yield TableBatch("health_condition", list(zip(
        sequential_ids(0, who.shape[0]), (who + 1).tolist(),
        [ICD10_CODES[c][0] for c in code.tolist()], iso_dates(onset), iso_dates(recorded),
        status, strict=True,
    )))
    type_p = np.array([t[3] for t in SCREENING_TYPES])
    type_codes = np.array([t[0] for t in SCREENING_TYPES])
    cdf = activity_cdf(rng, spans)
    improving = diabetic | prediabetic
    for start, size in chunks(events, chunk):
        who = pick_weighted(rng, cdf, size)
        day = days_within(rng, spans.first[who], spans.last[who])
        kind = rng.choice(len(type_p), size=size, p=type_p)
        years = np.maximum(day - spans.enrolled[who], 0) / 365.25
        # The program works a little: measures improve with time enrolled.
        bmi_now = np.round(bmi[who] - 0.4 * years + rng.normal(0, 0.6, size), 1)
        a1c_now = np.round(np.maximum(a1c[who] - 0.15 * years * improving[who]
                                      + rng.normal(0, 0.2, size), 4.0), 1)
        sbp_now = np.rint(sbp[who] - 1.5 * years + rng.normal(0, 7, size)).astype(np.int64)
        dbp_now = np.rint(dbp[who] + rng.normal(0, 5, size)).astype(np.int64)
        chol_now = np.rint(cholesterol[who] + rng.normal(0, 12, size)).astype(np.int64)
        elsewhere = rng.integers(1, clinics + 1, size=size)
        at = np.where(rng.random(size) < 0.9, clinic[who], elsewhere)
        no_bp = (kind != 0) & (kind != 2)
        yield TableBatch("screening", list(zip(
            sequential_ids(start, size), (who + 1).tolist(), at.tolist(), iso_dates(day),
            type_codes[kind].tolist(), with_nulls(bmi_now, kind > 1),
            with_nulls(a1c_now, kind != 1), with_nulls(sbp_now, no_bp), with_nulls(dbp_now, no_bp),
            with_nulls(chol_now, kind != 3), strict=True,
        )))


WALK2WORK = ProgramDesign(
    program="Walk 2 Work", slug="walk2work", stream=1, min_age=22, max_age=67,
    event_table="commute_trip", schema=WALK2WORK_DDL, finish=WALK2WORK_FINISH,
    build=_build_walk2work,
)
HEALTHY_HABITS = ProgramDesign(
    program="Healthy Habits", slug="healthyhabits", stream=2, min_age=22, max_age=94,
    event_table="screening", schema=HEALTHY_HABITS_DDL, finish=HEALTHY_HABITS_FINISH,
    build=_build_healthy_habits,
)
