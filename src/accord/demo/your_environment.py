"""Your Environment: air-quality monitoring, facility inspections and exposure alerts.

Its events are readings from monitoring sites rather than things people do, so the people in
this database are residents enrolled in air-quality alerts, tied to their nearest monitor.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from accord.demo import names
from accord.demo.people import (
    CITY_COUNTY,
    COUNTY_REGIONS,
    WINDOW_END,
    WINDOW_START,
    IntArray,
    Population,
    iso_dates,
    with_nulls,
)
from accord.demo.programs import (
    ProgramDesign,
    Rng,
    TableBatch,
    chunks,
    days_within,
    draw_places,
    enrolment_spans,
    people_batches,
    pick_local,
    sequential_ids,
)

# fmt: off
# code, name, unit, averaging period, federal standard (NAAQS), typical daily value,
# day of year of the seasonal peak, seasonal amplitude, decimals reported, share of sites
POLLUTANTS: tuple[tuple[str, str, str, str, float, float, int, float, int, float], ...] = (
    ("PM25", "Fine particulate matter (PM2.5)", "µg/m³", "24-hour", 35.0, 9.0, 15, 0.3, 1, 1.0),
    ("PM10", "Respirable particulate matter (PM10)", "µg/m³", "24-hour", 150.0, 24.0, 220, 0.2,
     0, 0.4),
    ("O3", "Ozone", "ppm", "8-hour", 0.070, 0.036, 196, 0.3, 3, 0.7),
    ("NO2", "Nitrogen dioxide", "ppb", "1-hour", 100.0, 18.0, 15, 0.3, 1, 0.4),
    ("CO", "Carbon monoxide", "ppm", "8-hour", 9.0, 0.45, 15, 0.35, 2, 0.2),
    ("SO2", "Sulfur dioxide", "ppb", "1-hour", 75.0, 1.8, 15, 0.1, 1, 0.1),
)
_CODES = np.array([p[0] for p in POLLUTANTS])
_UNITS = np.array([p[2] for p in POLLUTANTS])
_STANDARD = np.array([p[4] for p in POLLUTANTS])
_TYPICAL = np.array([p[5] for p in POLLUTANTS])
_PEAK_DAY = np.array([p[6] for p in POLLUTANTS], dtype=np.float64)
_AMPLITUDE = np.array([p[7] for p in POLLUTANTS])
_SCALE = 10.0 ** np.array([p[8] for p in POLLUTANTS])
_SITE_SHARE = np.array([p[9] for p in POLLUTANTS])
# Day-to-day spread (lognormal sigma): ozone builds regionally and varies less than the rest.
_SPREAD = np.array([0.45, 0.45, 0.25, 0.4, 0.45, 0.5])
# Basins with worse air: the San Joaquin Valley and the South Coast above the coast and north.
_REGION_FACTOR = {
    "San Joaquin Valley": 1.45, "Inland Empire": 1.4, "Los Angeles": 1.35, "Orange": 1.1,
    "Sacramento Area": 1.1, "San Diego-Imperial": 1.05, "Bay Area": 0.95, "Central Coast": 0.8,
    "North Coast": 0.7,
}
# fmt: on
_COUNTY_FACTOR = np.array([_REGION_FACTOR.get(region, 0.85) for region in COUNTY_REGIONS])
_RESULTS = ("In compliance", "Minor violation corrected on site", "Notice of violation")
_CHANNELS = ("sms", "email", "voice")

YOUR_ENVIRONMENT_DDL = """
CREATE TABLE pollutant (
    pollutant_code VARCHAR(6) PRIMARY KEY,
    pollutant_name VARCHAR(60) NOT NULL,
    unit VARCHAR(10) NOT NULL,
    averaging_period VARCHAR(10) NOT NULL,
    standard_value REAL NOT NULL
);
CREATE TABLE monitoring_site (
    site_id INTEGER PRIMARY KEY,
    aqs_site_code CHAR(11) NOT NULL UNIQUE,
    site_name VARCHAR(80) NOT NULL,
    street_address VARCHAR(80) NOT NULL,
    city VARCHAR(40) NOT NULL,
    county CHAR(5) NOT NULL REFERENCES county_code (county_code),
    zip_code CHAR(5) NOT NULL,
    opened_on DATE NOT NULL
);
CREATE TABLE facility (
    facility_id INTEGER PRIMARY KEY,
    facility_name VARCHAR(80) NOT NULL,
    facility_type VARCHAR(40) NOT NULL,
    permit_number VARCHAR(20) NOT NULL UNIQUE,
    street_address VARCHAR(80) NOT NULL,
    city VARCHAR(40) NOT NULL,
    county CHAR(5) NOT NULL REFERENCES county_code (county_code),
    zip_code CHAR(5) NOT NULL
);
CREATE TABLE enrollment (
    enrollment_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person (person_id),
    home_site_id INTEGER NOT NULL REFERENCES monitoring_site (site_id),
    enrolled_on DATE NOT NULL,
    exited_on DATE,
    alert_channel VARCHAR(10) NOT NULL,
    has_asthma BOOLEAN NOT NULL
);
CREATE INDEX enrollment_person_idx ON enrollment (person_id);
CREATE TABLE site_inspection (
    inspection_id INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES facility (facility_id),
    inspection_date DATE NOT NULL,
    pollutant_code VARCHAR(6) REFERENCES pollutant (pollutant_code),
    result VARCHAR(40) NOT NULL,
    follow_up_due DATE
);
CREATE TABLE air_quality_reading (
    reading_id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES monitoring_site (site_id),
    pollutant_code VARCHAR(6) NOT NULL REFERENCES pollutant (pollutant_code),
    reading_date DATE NOT NULL,
    measurement REAL NOT NULL,
    unit VARCHAR(10) NOT NULL,
    exceeds_standard BOOLEAN NOT NULL
);
"""
YOUR_ENVIRONMENT_FINISH = """
CREATE INDEX air_quality_reading_site_idx ON air_quality_reading (site_id, reading_date);
CREATE INDEX air_quality_reading_date_idx ON air_quality_reading (reading_date);
CREATE VIEW monthly_air_quality AS
SELECT substr(r.reading_date, 1, 7) AS reading_month, s.county, r.pollutant_code, r.unit,
       count(*) AS readings, round(avg(r.measurement), 3) AS mean_measurement,
       max(r.measurement) AS max_measurement, sum(r.exceeds_standard) AS exceedances
FROM air_quality_reading AS r JOIN monitoring_site AS s ON s.site_id = r.site_id
GROUP BY reading_month, s.county, r.pollutant_code, r.unit;
"""


def _sites(rng: Rng, count: int) -> tuple[list[tuple[object, ...]], IntArray, IntArray]:
    """Monitoring-site rows, plus each site's county index and first day of readings."""
    city, streets, cities, county, zips = draw_places(rng, count)
    new = rng.random(count) < 0.12
    opened = np.where(
        new,
        rng.integers(WINDOW_START, WINDOW_START + 365, size=count),
        rng.integers(WINDOW_START - 20 * 365, WINDOW_START, size=count),
    )
    opened_on = iso_dates(opened)
    rows: list[tuple[object, ...]] = [
        (
            i + 1,
            f"06-{county[i][2:]}-{1001 + i:04d}",
            f"{cities[i]} - {streets[i].split(' ', 1)[1]}",
            streets[i],
            cities[i],
            county[i],
            zips[i],
            opened_on[i],
        )
        for i in range(count)
    ]
    return rows, CITY_COUNTY[city], np.maximum(opened, WINDOW_START)


def _facilities(rng: Rng, count: int) -> Iterator[TableBatch]:
    _, streets, cities, county, zips = draw_places(rng, count)
    kind = rng.integers(0, len(names.FACILITY_TYPES), size=count).tolist()
    adjective = rng.integers(0, len(names.NAME_ADJECTIVES), size=count).tolist()
    yield TableBatch(
        "facility",
        [
            (
                i + 1,
                f"{names.NAME_ADJECTIVES[adjective[i]]} {names.FACILITY_TYPES[kind[i]][1]}",
                names.FACILITY_TYPES[kind[i]][0],
                f"YE-{county[i][2:]}-{i + 1:06d}",
                streets[i],
                cities[i],
                county[i],
                zips[i],
            )
            for i in range(count)
        ],
    )
    visits = rng.poisson(2.5, count) + 1
    facility = np.repeat(np.arange(1, count + 1), visits)
    total = facility.shape[0]
    day = rng.integers(WINDOW_START, WINDOW_END + 1, size=total)
    in_order = np.lexsort((day, facility))
    facility, day = facility[in_order], day[in_order]
    result = rng.choice(len(_RESULTS), size=total, p=[0.62, 0.23, 0.15])
    # The pollutant behind a finding: particulates or a combustion gas.
    concern = rng.integers(0, 4, size=total)
    follow_up = np.array(iso_dates(np.minimum(day + 30, WINDOW_END)), dtype=object)
    yield TableBatch(
        "site_inspection",
        list(
            zip(
                sequential_ids(0, total),
                facility.tolist(),
                iso_dates(day),
                with_nulls(
                    np.array([("PM25", "PM10", "NO2", "CO")[c] for c in concern.tolist()]),
                    result == 0,
                ),
                [_RESULTS[r] for r in result.tolist()],
                with_nulls(follow_up, result != 2),
                strict=True,
            )
        ),
    )


def _build_your_environment(
    rng: Rng, population: Population, members: IntArray, events: int, chunk: int
) -> Iterator[TableBatch]:
    n = len(members)
    yield from people_batches(population, members)
    yield TableBatch("pollutant", [p[:5] for p in POLLUTANTS])
    site_count = max(30, min(2_000, events // 1_000))
    sites, site_county, site_first = _sites(rng, site_count)
    yield TableBatch("monitoring_site", sites)
    yield from _facilities(rng, max(25, n // 20))
    home = pick_local(rng, population.county[members], site_county) + 1
    spans = enrolment_spans(rng, n)
    channel = rng.choice(len(_CHANNELS), size=n, p=[0.55, 0.35, 0.10]).tolist()
    child = population.age_on(WINDOW_END)[members] < 18
    asthma = (rng.random(n) < np.where(child, 0.14, 0.09)).astype(np.int64).tolist()
    yield TableBatch(
        "enrollment",
        [
            (
                i + 1,
                i + 1,
                int(home[i]),
                spans.enrolled_on[i],
                spans.exited_on[i],
                _CHANNELS[channel[i]],
                asthma[i],
            )
            for i in range(n)
        ],
    )
    # Every site measures PM2.5; other pollutants only at some sites.
    measured = rng.random((len(POLLUTANTS), site_count)) < _SITE_SHARE[:, None]
    pollutant, site = np.nonzero(measured)
    order = np.lexsort((pollutant, site))
    pollutant, site = pollutant[order], site[order]
    factor = _COUNTY_FACTOR[site_county[site]]
    for start, size in chunks(events, chunk):
        pair = rng.integers(0, site.shape[0], size=size)
        p, s = pollutant[pair], site[pair]
        day = days_within(rng, site_first[s], np.full(size, WINDOW_END, dtype=np.int64))
        season = 1 + _AMPLITUDE[p] * np.cos(2 * np.pi * ((day % 365.2425) - _PEAK_DAY[p]) / 365.25)
        level = _TYPICAL[p] * factor[pair] * season * rng.lognormal(0.0, _SPREAD[p])
        # Wildfire smoke: August to October, particulate readings now and then spike.
        day_of_year = day % 365.2425
        smoke = (p <= 1) & (day_of_year >= 213) & (day_of_year < 305) & (rng.random(size) < 0.03)
        level = np.where(smoke, level * rng.uniform(3, 8, size), level)
        value = np.round(level * _SCALE[p]) / _SCALE[p]
        yield TableBatch(
            "air_quality_reading",
            list(
                zip(
                    sequential_ids(start, size),
                    (s + 1).tolist(),
                    _CODES[p].tolist(),
                    iso_dates(day),
                    value.tolist(),
                    _UNITS[p].tolist(),
                    (value > _STANDARD[p]).astype(np.int64).tolist(),
                    strict=True,
                )
            ),
        )


YOUR_ENVIRONMENT = ProgramDesign(
    program="Your Environment",
    slug="yourenvironment",
    stream=3,
    min_age=0,
    max_age=94,
    event_table="air_quality_reading",
    schema=YOUR_ENVIRONMENT_DDL,
    finish=YOUR_ENVIRONMENT_FINISH,
    build=_build_your_environment,
)
