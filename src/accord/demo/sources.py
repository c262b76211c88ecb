"""Source databases of the demo department, the California Department of Wellness.

One SQLite file per program, generated from a seed, so the catalog has real systems to
harvest and a newcomer sees realistic tables, keys, code lists and views. All records are
synthetic: SSN-like numbers use the never-issued 9xx areas, phones the 555-01xx fiction
range, e-mail the RFC 2606 example domains.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accord.demo.healthy_habits import HEALTHY_HABITS
from accord.demo.people import PERSON_DDL, Population, build_population, enrol
from accord.demo.programs import ProgramDesign
from accord.demo.walk2work import WALK2WORK
from accord.demo.your_environment import YOUR_ENVIRONMENT
from accord.errors import Problem, ValidationFailed

# progress(program, activity events written so far, total events of the program)
EventsWritten = Callable[[str, int, int], None]

PROGRAMS: tuple[ProgramDesign, ...] = (WALK2WORK, HEALTHY_HABITS, YOUR_ENVIRONMENT)
# Rows generated and inserted at a time: large enough for numpy to pay off, small enough
# that ten million events stay within a few hundred megabytes.
CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class ProgramSource:
    """A generated program database and the row count of each of its tables."""

    program: str
    slug: str
    path: Path
    tables: dict[str, int]


def people_for(events: int) -> int:
    """Number of enrolled people per program: one per 25 events, at least 200."""
    return max(200, events // 25)


def generate_sources(
    target_dir: Path,
    *,
    seed: int = 2024,
    events: int = 5_000,
    progress: EventsWritten | None = None,
) -> list[ProgramSource]:
    """Write ``<slug>.sqlite`` for each program into ``target_dir``, replacing earlier files.

    The same seed and events always give the same table contents. ``progress`` receives the
    program name, the activity-event rows written so far and the total, after each chunk.
    Raises ValidationFailed when ``events`` or ``seed`` is negative.
    """
    problems = [
        Problem(name, "must be zero or more")
        for name, value in (("seed", seed), ("events", events))
        if value < 0
    ]
    if problems:
        raise ValidationFailed(problems, "The demo sources cannot be generated.")
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    people = people_for(events)
    # Twice as many residents as enrolees, so each program's age limits can be met and the
    # programs overlap partly, as real programs of one department do.
    population = build_population(np.random.default_rng([seed, 0]), 2 * people)
    return [
        _write(design, target_dir, seed, events, people, population, progress)
        for design in PROGRAMS
    ]


def _write(
    design: ProgramDesign,
    target_dir: Path,
    seed: int,
    events: int,
    people: int,
    population: Population,
    progress: EventsWritten | None,
) -> ProgramSource:
    """Build in a hidden part-file and move it into place, so no reader sees half a database."""
    # A random name rather than mkstemp: SQLite then creates the file with the usual umask.
    part = target_dir / f".{design.slug}-{secrets.token_hex(6)}.sqlite.part"
    final = target_dir / f"{design.slug}.sqlite"
    try:
        tables = _load(design, part, seed, events, people, population, progress)
        with part.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, final)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return ProgramSource(program=design.program, slug=design.slug, path=final, tables=tables)


def _load(
    design: ProgramDesign,
    path: Path,
    seed: int,
    events: int,
    people: int,
    population: Population,
    progress: EventsWritten | None,
) -> dict[str, int]:
    # A seed sequence of [seed, stream] keeps streams distinct; seed + stream would make
    # seed 2024's second program repeat seed 2025's first.
    rng = np.random.default_rng([seed, design.stream])
    members = enrol(rng, population, people, design.min_age, design.max_age)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # The file is private until os.replace, so a crash costs only the part-file:
        # no journal and no syncs while loading.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        conn.executescript(PERSON_DDL + design.schema)
        tables = {
            name: 0
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            )
        }
        written = 0
        if progress is not None:
            progress(design.program, 0, events)
        conn.execute("BEGIN")
        for batch in design.build(rng, population, members, events, CHUNK_ROWS):
            if batch.rows:
                marks = ", ".join("?" * len(batch.rows[0]))
                # Table names come from this package's own constants, never from input.
                conn.executemany(f"INSERT INTO {batch.table} VALUES ({marks})", batch.rows)  # noqa: S608
            tables[batch.table] += len(batch.rows)
            if batch.table == design.event_table and progress is not None:
                written += len(batch.rows)
                progress(design.program, written, events)
        conn.execute("COMMIT")
        conn.executescript(design.finish)
    finally:
        conn.close()
    return tables


# -- text for the catalog ------------------------------------------------------------------

PROGRAM_DESCRIPTIONS: dict[str, str] = {
    "walk2work": "Walk 2 Work enrols employees of participating California employers who commit "
    "to commuting by walking, cycling, transit or shared rides, and records each trip they log.",
    "healthyhabits": "Healthy Habits enrols adults referred for lifestyle coaching and records "
    "their health screenings and diagnosed chronic conditions.",
    "yourenvironment": "Your Environment records daily air-quality readings from monitoring "
    "sites, inspections of regulated facilities, and residents enrolled in air-quality alerts.",
}

# Each table's business description, by table name; {program} is the program's name.
TABLE_DESCRIPTIONS: dict[str, str] = {
    "person": "The people enrolled in {program}: name, birth date, sex, race and ethnicity, "
    "language, address and contact details, and their Social Security and Medi-Cal numbers "
    "when given.",
    "enrollment": "Each spell of a person's enrolment in {program}, from the day they joined to "
    "the day they left.",
    "county_code": "California's counties with their codes, regions and 2020 populations.",
    "commute_mode": "The ways of commuting Walk 2 Work counts, and which of them are active "
    "travel.",
    "commute_trip": "Every commute a participant logged: the day, the mode, the distance and "
    "time, and whether GPS confirmed it.",
    "employer": "The employers taking part in Walk 2 Work, with their industry, county and "
    "number of employees.",
    "monthly_commute_summary": "Trips, participants, distance and time per month and mode.",
    "clinic": "The clinics that enrol and screen Healthy Habits participants.",
    "health_condition": "Chronic conditions of Healthy Habits participants, coded in ICD-10, with "
    "their onset and status.",
    "icd10_code": "The ICD-10 diagnosis codes Healthy Habits uses, with their descriptions.",
    "screening": "Every health screening of a participant: the clinic, the day, the kind of "
    "screening and its measures (BMI, HbA1c, blood pressure, cholesterol).",
    "screening_type": "The kinds of screening Healthy Habits offers and what each measures.",
    "monthly_screening_summary": "Screenings, people and mean measures per month and kind of "
    "screening.",
    "air_quality_reading": "Daily readings of each pollutant at each monitoring site, and whether "
    "they exceeded the standard.",
    "facility": "The permitted facilities Your Environment inspects.",
    "monitoring_site": "The air-quality monitoring sites, with their address and opening date.",
    "pollutant": "The pollutants measured, with their units, averaging periods and standards.",
    "site_inspection": "Inspections of facilities: the day, the pollutant, the result and when a "
    "follow-up is due.",
    "monthly_air_quality": "Readings, mean and peak measures and exceedances per month, county "
    "and pollutant.",
}

_SHARED_DEFINITIONS: dict[str, dict[str, str]] = {
    "person": {
        "person_id": "The identifier the program assigns to a person on enrolment; unique within "
        "the program only.",
        "birth_date": "The person's date of birth as reported at enrolment.",
        "county": "The five-digit FIPS code of the California county of the person's residence.",
        "zip_code": "The five-digit USPS ZIP Code of the person's residential address.",
        "ssn": "The person's Social Security number as reported at enrolment, formatted "
        "NNN-NN-NNNN.",
        "medi_cal_cin": "The person's Medi-Cal Client Index Number: eight digits followed by a "
        "letter. Empty when the person is not a Medi-Cal beneficiary.",
        "race_ethnicity": "The race or ethnicity the person self-identified at enrolment.",
    },
    "county_code": {
        "county_code": "The five-digit FIPS code of a California county: state code 06 followed "
        "by the three-digit county code.",
        "population_2020": "The county's resident population in the 2020 decennial census, in "
        "persons.",
    },
    "enrollment": {
        "enrolled_on": "The date on which the person's enrolment in the program took effect.",
        "exited_on": "The date on which the person left the program; empty while enrolled.",
    },
}

_PROGRAM_DEFINITIONS: dict[str, dict[str, dict[str, str]]] = {
    "walk2work": {
        "commute_trip": {
            "trip_date": "The calendar date of the commute trip.",
            "mode_code": "The means of travel used for the longest part of the trip.",
            "distance_km": "The one-way distance of the trip, in kilometres, as logged by the "
            "participant or the mobile app.",
            "duration_minutes": "The door-to-door duration of the trip, in whole minutes.",
            "gps_verified": "Whether the trip was confirmed by the mobile app's location trace: "
            "1 confirmed, 0 self-reported.",
        },
        "employer": {
            "employee_count": "The number of employees at the participating worksite, in "
            "persons, as reported by the employer.",
        },
    },
    "healthyhabits": {
        "screening": {
            "bmi": "Body mass index at the screening: weight in kilograms divided by the square "
            "of height in metres, in kg/m².",
            "a1c_percent": "Hemoglobin A1c measured at the screening, as a percentage of total "
            "hemoglobin.",
            "systolic_mmhg": "Systolic blood pressure at the screening, in millimetres of "
            "mercury (mmHg).",
            "total_cholesterol_mg_dl": "Total serum cholesterol at the screening, in milligrams "
            "per decilitre (mg/dL).",
        },
        "health_condition": {
            "icd10_code": "The ICD-10-CM code of the diagnosed condition.",
            "onset_date": "The date on which the condition was first diagnosed, as reported.",
        },
    },
    "yourenvironment": {
        "air_quality_reading": {
            "measurement": "The pollutant concentration averaged over the pollutant's "
            "averaging period, in the unit given in the unit field.",
            "unit": "The unit of the measurement: µg/m³, ppm or ppb.",
            "exceeds_standard": "Whether the measurement is above the national ambient air "
            "quality standard for the pollutant: 1 above, 0 at or below.",
        },
        "monitoring_site": {
            "aqs_site_code": "The site's code in the form state-county-site, as in the federal "
            "Air Quality System.",
        },
        "enrollment": {
            "has_asthma": "Whether the person reported an asthma diagnosis at enrolment: 1 yes, "
            "0 no.",
        },
    },
}


def describe_sources() -> dict[str, dict[str, dict[str, str]]]:
    """Business definitions per program slug, table and column, for seeding the catalog."""
    described: dict[str, dict[str, dict[str, str]]] = {}
    for design in PROGRAMS:
        tables = {table: dict(columns) for table, columns in _SHARED_DEFINITIONS.items()}
        for table, columns in _PROGRAM_DEFINITIONS[design.slug].items():
            tables.setdefault(table, {}).update(columns)
        described[design.slug] = tables
    return described
