"""Healthy Habits: adults in lifestyle coaching, their screenings and chronic conditions.

Its events are screenings. Each member has fixed health baselines (BMI, A1c, blood pressure,
cholesterol) that the screenings scatter around and slowly improve on, and the recorded
conditions follow from those baselines, so the data hold together when analysed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from accord.demo import names
from accord.demo.people import (
    CITY_AREA_CODE,
    CITY_COUNTY,
    WINDOW_END,
    BoolArray,
    FloatArray,
    IntArray,
    Population,
    iso_dates,
    with_nulls,
)
from accord.demo.programs import (
    ProgramDesign,
    Rng,
    Spans,
    TableBatch,
    activity_cdf,
    chunks,
    days_within,
    draw_places,
    enrolment_spans,
    people_batches,
    pick_local,
    pick_weighted,
    sequential_ids,
)

# fmt: off
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
# fmt: on

HEALTHY_HABITS_DDL = """
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


@dataclass(frozen=True)
class _Health:
    """A member's baselines; screenings scatter around them and conditions follow from them."""

    bmi: FloatArray
    a1c: FloatArray
    systolic: FloatArray
    diastolic: FloatArray
    cholesterol: FloatArray
    improving: BoolArray  # diabetic or prediabetic, so coaching lowers A1c over time
    conditions: BoolArray  # one row per ICD10_CODES entry, one column per member


def _health(rng: Rng, age: IntArray) -> _Health:
    n = age.shape[0]
    bmi = np.clip(_normal(rng, 28.3, 5.5, n) + 0.03 * (age - 45), 16, 55)
    diabetic = rng.random(n) < 0.06 + 0.10 * (bmi >= 30) + 0.05 * (age >= 55)
    prediabetic = ~diabetic & (rng.random(n) < 0.32)
    a1c = np.clip(
        np.select(
            [diabetic, prediabetic],
            [_normal(rng, 7.6, 1.1, n), _normal(rng, 6.0, 0.15, n)],
            _normal(rng, 5.3, 0.25, n),
        ),
        4.2,
        13.5,
    )
    sbp = np.clip(_normal(rng, 118, 13, n) + 0.5 * (bmi - 27) + 0.35 * (age - 45), 90, 200)
    cholesterol = np.clip(_normal(rng, 190, 32, n), 110, 340)
    smoker = rng.random(n) < 0.11
    draw = rng.random((len(ICD10_CODES), n))
    # In ICD10_CODES order: the first six follow from the baselines, the rest are background.
    conditions = np.stack(
        [
            diabetic & (draw[0] < 0.9),
            prediabetic & (draw[1] < 0.5),
            (bmi >= 30) & (draw[2] < 0.6),
            (sbp >= 135) & (draw[3] < 0.7),
            (cholesterol >= 240) & (draw[4] < 0.6),
            smoker & (draw[5] < 0.8),
            draw[6] < 0.08,
            draw[7] < 0.07,
            draw[8] < 0.06,
            draw[9] < 0.05,
            draw[10] < 0.04,
            (bmi >= 30) & (draw[11] < 0.12),
            draw[12] < 0.06,
            (age >= 55) & (draw[13] < 0.06),
        ]
    )
    return _Health(
        bmi=bmi,
        a1c=a1c,
        systolic=sbp,
        diastolic=np.clip(0.55 * sbp + _normal(rng, 10, 6, n), 50, 120),
        cholesterol=cholesterol,
        improving=diabetic | prediabetic,
        conditions=conditions,
    )


def _clinics(rng: Rng, count: int) -> tuple[TableBatch, IntArray]:
    """Clinic rows and each clinic's county index."""
    city, streets, cities, county, zips = draw_places(rng, count)
    kinds = rng.integers(0, len(names.CLINIC_NOUNS), size=count).tolist()
    lines = rng.integers(0, 100, size=count).tolist()
    area = CITY_AREA_CODE[city].tolist()
    rows: list[tuple[object, ...]] = [
        (
            i + 1,
            f"{cities[i]} {names.CLINIC_NOUNS[kinds[i]]}",
            streets[i],
            cities[i],
            county[i],
            zips[i],
            f"({area[i]}) 555-01{lines[i]:02d}",
        )
        for i in range(count)
    ]
    clinic_county: IntArray = CITY_COUNTY[city]
    return TableBatch("clinic", rows), clinic_county


def _condition_rows(rng: Rng, health: _Health, spans: Spans, birth_day: IntArray) -> TableBatch:
    code, who = np.nonzero(health.conditions)
    order = np.lexsort((code, who))
    code, who = code[order], who[order]
    count = len(who)
    # Diagnosed up to ten years before enrolment, but not in early childhood.
    onset = np.maximum(
        spans.enrolled[who] - rng.integers(0, 3650, size=count), birth_day[who] + 5 * 365
    )
    recorded = np.minimum(
        np.maximum(onset, spans.enrolled[who]) + rng.integers(0, 31, size=count), WINDOW_END
    )
    status = np.where(rng.random(count) < 0.9, "active", "resolved").tolist()
    rows = zip(
        sequential_ids(0, count),
        (who + 1).tolist(),
        [ICD10_CODES[c][0] for c in code.tolist()],
        iso_dates(onset),
        iso_dates(recorded),
        status,
        strict=True,
    )
    return TableBatch("health_condition", list(rows))


def _build_healthy_habits(
    rng: Rng, population: Population, members: IntArray, events: int, chunk: int
) -> Iterator[TableBatch]:
    n = len(members)
    yield from people_batches(population, members)
    yield TableBatch("screening_type", [t[:3] for t in SCREENING_TYPES])
    yield TableBatch("icd10_code", list(ICD10_CODES))
    clinics = max(15, n // 150)
    clinic_rows, clinic_county = _clinics(rng, clinics)
    yield clinic_rows
    health = _health(rng, population.age_on(WINDOW_END)[members])
    has = health.conditions
    clinic = pick_local(rng, population.county[members], clinic_county) + 1
    spans = enrolment_spans(rng, n)
    referral = rng.integers(0, len(_REFERRALS), size=n).tolist()
    track = np.select([has[0] | has[1], has[3] | has[4], has[2], has[5]], [0, 1, 2, 3], 4).tolist()
    yield TableBatch(
        "enrollment",
        [
            (
                i + 1,
                i + 1,
                int(clinic[i]),
                spans.enrolled_on[i],
                spans.exited_on[i],
                _REFERRALS[referral[i]],
                _TRACKS[track[i]],
            )
            for i in range(n)
        ],
    )
    yield _condition_rows(rng, health, spans, population.birth_day[members])
    yield from _screenings(rng, health, spans, clinic, clinics, events, chunk)


def _screenings(
    rng: Rng,
    health: _Health,
    spans: Spans,
    clinic: IntArray,
    clinics: int,
    events: int,
    chunk: int,
) -> Iterator[TableBatch]:
    type_p = np.array([t[3] for t in SCREENING_TYPES])
    type_codes = np.array([t[0] for t in SCREENING_TYPES])
    cdf = activity_cdf(rng, spans)
    for start, size in chunks(events, chunk):
        who = pick_weighted(rng, cdf, size)
        day = days_within(rng, spans.first[who], spans.last[who])
        kind = rng.choice(len(type_p), size=size, p=type_p)
        years = np.maximum(day - spans.enrolled[who], 0) / 365.25
        # The program works a little: measures improve with time enrolled.
        bmi = np.round(health.bmi[who] - 0.4 * years + rng.normal(0, 0.6, size), 1)
        a1c = health.a1c[who] - 0.15 * years * health.improving[who] + rng.normal(0, 0.2, size)
        a1c = np.round(np.maximum(a1c, 4.0), 1)
        sbp = np.rint(health.systolic[who] - 1.5 * years + rng.normal(0, 7, size))
        dbp = np.rint(health.diastolic[who] + rng.normal(0, 5, size))
        cholesterol = np.rint(health.cholesterol[who] + rng.normal(0, 12, size))
        elsewhere = rng.integers(1, clinics + 1, size=size)
        at = np.where(rng.random(size) < 0.9, clinic[who], elsewhere)
        # WELL: BMI and blood pressure; DIAB: A1c and BMI; BP: blood pressure; LIPID: cholesterol.
        no_bp = (kind != 0) & (kind != 2)
        rows = zip(
            sequential_ids(start, size),
            (who + 1).tolist(),
            at.tolist(),
            iso_dates(day),
            type_codes[kind].tolist(),
            with_nulls(bmi, kind > 1),
            with_nulls(a1c, kind != 1),
            with_nulls(sbp.astype(np.int64), no_bp),
            with_nulls(dbp.astype(np.int64), no_bp),
            with_nulls(cholesterol.astype(np.int64), kind != 3),
            strict=True,
        )
        yield TableBatch("screening", list(rows))


HEALTHY_HABITS = ProgramDesign(
    program="Healthy Habits",
    slug="healthyhabits",
    stream=2,
    min_age=22,
    max_age=94,
    event_table="screening",
    schema=HEALTHY_HABITS_DDL,
    finish=HEALTHY_HABITS_FINISH,
    build=_build_healthy_habits,
)
