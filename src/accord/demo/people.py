"""The synthetic statewide population the three demo programs enrol people from.

One population is drawn per seed and each program enrols its own subset, so the same synthetic
person can appear in several programs with the same SSN-like number and CIN. That is what makes
the demo's cross-program BUCPs (record linkage, de-identification) meaningful.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accord.demo import names

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Row = tuple[object, ...]

# The programs' reporting window: state fiscal years 2022-23 to 2024-25.
WINDOW_START = int(np.datetime64("2022-07-01", "D").astype(np.int64))
WINDOW_END = int(np.datetime64("2025-06-30", "D").astype(np.int64))

SEX_CODES = ("F", "M", "X")
_SEX_WEIGHTS = (0.503, 0.492, 0.005)
# Weights of five-year age bands 0-4 ... 90-94, roughly California's age pyramid.
_AGE_BANDS = (6, 6, 6.5, 6.5, 7, 7.5, 7.5, 7, 6.5, 6.5, 6.5, 6, 5.5, 4.5, 3.5, 2.5, 1.5, 1, 0.5)

# SSN-like numbers use areas 900-999, which the Social Security Administration never issues.
# An affine map over the 9xx space gives each population member a distinct number.
_SSN_SPACE = 100 * 99 * 9999
_SSN_STEP = 39_916_801  # coprime with _SSN_SPACE, so the map is a permutation
_CIN_SPACE = 26 * 10**7
_CIN_STEP = 7_368_787  # coprime with _CIN_SPACE

COUNTY_FIPS = np.array([c[0] for c in names.COUNTIES])
COUNTY_REGIONS = tuple(c[2] for c in names.COUNTIES)
_CITIES = [(ci, city) for ci, county in enumerate(names.COUNTIES) for city in county[4]]
CITY_COUNTY = np.array([ci for ci, _ in _CITIES], dtype=np.int64)
CITY_NAMES = np.array([city[0] for _, city in _CITIES])
CITY_ZIP_LOW = np.array([city[1] for _, city in _CITIES], dtype=np.int64)
CITY_ZIP_SPAN = np.array([city[2] - city[1] + 1 for _, city in _CITIES], dtype=np.int64)
CITY_AREA_CODE = np.array([city[3] for _, city in _CITIES])
# A city's share of its county falls with its rank in the list (largest city first).
_CITY_WEIGHTS = np.array(
    [
        names.COUNTIES[ci][3] / (rank + 1) / sum(1 / (r + 1) for r in range(len(county[4])))
        for ci, county in enumerate(names.COUNTIES)
        for rank in range(len(county[4]))
    ]
)
CITY_P = _CITY_WEIGHTS / _CITY_WEIGHTS.sum()


def _pool(groups: Sequence[Sequence[str]]) -> tuple[NDArray[np.str_], IntArray, IntArray]:
    """Flatten name lists so one vectorised draw can pick within each person's own list."""
    flat = np.array([name for group in groups for name in group])
    sizes = np.array([len(group) for group in groups], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return flat, starts, sizes


# First-name lists are indexed by pool * 2 + (0 female, 1 male).
_FIRST, _FIRST_START, _FIRST_SIZE = _pool([g for pair in names.FIRST_NAMES for g in pair])
_LAST, _LAST_START, _LAST_SIZE = _pool(names.SURNAMES)
_RACE_LABELS = tuple(r[0] for r in names.RACE_ETHNICITY)
_RACE_P = np.array([r[1] for r in names.RACE_ETHNICITY]) / sum(r[1] for r in names.RACE_ETHNICITY)
_RACE_POOL = np.array([r[2] for r in names.RACE_ETHNICITY], dtype=np.int64)
_LANG_CDF = np.cumsum(
    np.array(names.LANGUAGE_WEIGHTS) / np.array(names.LANGUAGE_WEIGHTS).sum(1, keepdims=True),
    axis=1,
)


def uniform_index(rng: np.random.Generator, sizes: IntArray) -> IntArray:
    """Draw one index below each size, vectorised (numpy's integers needs one bound per call)."""
    return np.minimum((rng.random(sizes.shape[0]) * sizes).astype(np.int64), sizes - 1)


_DATE_FIRST = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DATE_TEXT = np.datetime_as_string(
    np.arange(_DATE_FIRST, WINDOW_END + 366, dtype=np.int64).astype("datetime64[D]")
)


def iso_dates(days: IntArray) -> list[str]:
    """Render day numbers (days since 1970-01-01) as ISO 8601 dates, the way SQLite stores DATE."""
    # A lookup of pre-rendered dates is many times faster than rendering millions each chunk.
    text: list[str] = _DATE_TEXT[days - _DATE_FIRST].tolist()
    return text


def with_nulls(values: NDArray[np.generic], missing: NDArray[np.bool_]) -> list[object]:
    """Return plain Python values with None where missing, ready for executemany."""
    column = values.astype(object)
    column[missing] = None
    out: list[object] = column.tolist()
    return out


@dataclass(frozen=True)
class Population:
    """Attributes of every synthetic resident, one array element per person."""

    birth_day: IntArray
    sex: IntArray
    race: IntArray
    language: IntArray  # -1 when unrecorded
    first_name: IntArray
    last_name: IntArray
    city: IntArray
    zip_code: IntArray
    house_number: IntArray
    street: IntArray
    suffix: IntArray
    unit: IntArray  # 0 when the address has no unit
    phone_line: IntArray  # -1 when there is no phone on file
    email_domain: IntArray  # -1 when there is no email on file
    email_number: IntArray
    ssn_slot: IntArray
    cin_slot: IntArray  # -1 when the person is not enrolled in Medi-Cal

    @property
    def county(self) -> IntArray:
        county: IntArray = CITY_COUNTY[self.city]
        return county

    def age_on(self, day: int) -> IntArray:
        age: IntArray = (day - self.birth_day) // 365
        return age


def build_population(rng: np.random.Generator, size: int) -> Population:
    """Draw ``size`` residents; the draws come in a fixed order, so a seed fixes the people."""
    bands = np.array(_AGE_BANDS) / sum(_AGE_BANDS)
    age_days = (rng.choice(len(bands), size=size, p=bands) * 5 + rng.random(size) * 5) * 365.25
    birth_day = (WINDOW_END - age_days).astype(np.int64)
    sex = rng.choice(3, size=size, p=_SEX_WEIGHTS).astype(np.int64)
    race = rng.choice(len(_RACE_P), size=size, p=_RACE_P).astype(np.int64)
    language = (rng.random(size)[:, None] > _LANG_CDF[race]).sum(1).astype(np.int64)
    language = np.minimum(language, len(names.LANGUAGES) - 1)
    language[rng.random(size) < 0.03] = -1
    pool = _RACE_POOL[race]
    # People recorded as X draw a given name from either list.
    gendered = np.where(sex == 2, rng.integers(0, 2, size=size), sex)
    first_list = pool * 2 + gendered
    first_name = _FIRST_START[first_list] + uniform_index(rng, _FIRST_SIZE[first_list])
    last_name = _LAST_START[pool] + uniform_index(rng, _LAST_SIZE[pool])
    city = rng.choice(len(CITY_P), size=size, p=CITY_P).astype(np.int64)
    zip_code = CITY_ZIP_LOW[city] + uniform_index(rng, CITY_ZIP_SPAN[city])
    house_number = rng.integers(100, 20_000, size=size)
    street = rng.integers(0, len(names.STREET_NAMES), size=size)
    suffix = rng.integers(0, len(names.STREET_SUFFIXES), size=size)
    unit = np.where(rng.random(size) < 0.25, rng.integers(1, 400, size=size), 0)
    phone_line = np.where(rng.random(size) < 0.93, rng.integers(0, 100, size=size), -1)
    age = (WINDOW_END - birth_day) // 365
    has_email = (rng.random(size) < 0.82) & (age >= 13)
    email_domain = np.where(has_email, rng.integers(0, len(names.EMAIL_DOMAINS), size=size), -1)
    email_number = rng.integers(1, 1000, size=size)
    medi_cal_share = np.select([age < 19, age >= 65], [0.45, 0.25], 0.30)
    on_medi_cal = rng.random(size) < medi_cal_share
    ids = np.arange(size, dtype=np.int64)
    ssn_slot = (ids * _SSN_STEP + int(rng.integers(0, _SSN_SPACE))) % _SSN_SPACE
    cin_slot = (ids * _CIN_STEP + int(rng.integers(0, _CIN_SPACE))) % _CIN_SPACE
    cin_slot[~on_medi_cal] = -1
    return Population(
        birth_day=birth_day,
        sex=sex,
        race=race,
        language=language,
        first_name=first_name,
        last_name=last_name,
        city=city,
        zip_code=zip_code,
        house_number=house_number,
        street=street,
        suffix=suffix,
        unit=unit,
        phone_line=phone_line,
        email_domain=email_domain,
        email_number=email_number,
        ssn_slot=ssn_slot,
        cin_slot=cin_slot,
    )


def enrol(
    rng: np.random.Generator, population: Population, count: int, min_age: int, max_age: int
) -> IntArray:
    """Pick ``count`` members aged min_age..max_age at the window's end, in population order."""
    age = population.age_on(WINDOW_END)
    eligible = np.flatnonzero((age >= min_age) & (age <= max_age))
    if eligible.shape[0] < count:
        raise ValueError(f"population has only {eligible.shape[0]} people aged {min_age}-{max_age}")
    chosen: IntArray = np.sort(rng.permutation(eligible)[:count])
    return chosen


def _format_ssn(slot: int) -> str:
    area, rest = divmod(slot, 99 * 9999)
    group, serial = divmod(rest, 9999)
    return f"{900 + area:03d}-{group + 1:02d}-{serial + 1:04d}"


def _format_cin(slot: int) -> str | None:
    if slot < 0:
        return None
    digits, letter = divmod(slot, 26)
    return f"9{digits:07d}{chr(65 + letter)}"


_EMAIL_SAFE = re.compile(r"[^a-z]")


def person_rows(population: Population, members: IntArray, first_id: int = 1) -> list[Row]:
    """Rows of the ``person`` table for these members, numbered from ``first_id``.

    person_id is the program's own number, as in real program systems; the SSN-like number
    and the CIN are the person's across programs.
    """
    p = population
    first = _FIRST[p.first_name[members]].tolist()
    last = _LAST[p.last_name[members]].tolist()
    birth = iso_dates(p.birth_day[members])
    city = p.city[members]
    fips = COUNTY_FIPS[CITY_COUNTY[city]].tolist()
    area_codes = CITY_AREA_CODE[city].tolist()
    city_names = CITY_NAMES[city].tolist()
    rows: list[Row] = []
    for i, k in enumerate(members.tolist()):
        unit = int(p.unit[k])
        street = (
            f"{p.house_number[k]} {names.STREET_NAMES[p.street[k]]} "
            f"{names.STREET_SUFFIXES[p.suffix[k]]}" + (f" Apt {unit}" if unit else "")
        )
        line = int(p.phone_line[k])
        phone = f"({area_codes[i]}) 555-01{line:02d}" if line >= 0 else None
        domain = int(p.email_domain[k])
        email = None
        if domain >= 0:
            given = _EMAIL_SAFE.sub("", first[i].lower())
            family = _EMAIL_SAFE.sub("", last[i].lower())
            email = f"{given}.{family}{p.email_number[k]}@{names.EMAIL_DOMAINS[domain]}"
        language = int(p.language[k])
        rows.append(
            (
                first_id + i,
                first[i],
                last[i],
                birth[i],
                SEX_CODES[p.sex[k]],
                _RACE_LABELS[p.race[k]],
                names.LANGUAGES[language] if language >= 0 else None,
                street,
                city_names[i],
                fips[i],
                f"{p.zip_code[k]:05d}",
                phone,
                email,
                _format_ssn(int(p.ssn_slot[k])),
                _format_cin(int(p.cin_slot[k])),
            )
        )
    return rows


PERSON_DDL = """
CREATE TABLE county_code (
    county_code CHAR(5) PRIMARY KEY,
    county_name VARCHAR(40) NOT NULL UNIQUE,
    region VARCHAR(40) NOT NULL,
    population_2020 INTEGER NOT NULL
);
CREATE TABLE person (
    person_id INTEGER PRIMARY KEY,
    first_name VARCHAR(40) NOT NULL,
    last_name VARCHAR(40) NOT NULL,
    birth_date DATE NOT NULL,
    sex CHAR(1) NOT NULL,
    race_ethnicity VARCHAR(60),
    preferred_language VARCHAR(20),
    street_address VARCHAR(80) NOT NULL,
    city VARCHAR(40) NOT NULL,
    county CHAR(5) NOT NULL REFERENCES county_code (county_code),
    zip_code CHAR(5) NOT NULL,
    phone VARCHAR(14),
    email VARCHAR(80),
    ssn CHAR(11) NOT NULL UNIQUE,
    medi_cal_cin CHAR(9) UNIQUE
);
CREATE INDEX person_county_idx ON person (county);
"""


def county_rows() -> list[Row]:
    """Rows of the ``county_code`` lookup shared by every program database."""
    return [(fips, name, region, people) for fips, name, region, people, _ in names.COUNTIES]
