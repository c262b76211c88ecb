"""Score tables of the publication scoring criteria (DDG.md §7.2–§7.9), as data.

Each band table is a list of (upper bound inclusive, score), scanned from the smallest bound:
the first bound the value does not exceed gives the score. `None` as bound means "no limit".
"""

from __future__ import annotations

Band = tuple[int | None, int]


def band_score(value: int, bands: list[Band]) -> int:
    for upper, score in bands:
        if upper is None or value <= upper:
            return score
    raise ValueError("band table must end with an open bound")


# §7.2 Events: smallest non-zero cell.
EVENTS: list[Band] = [(10, 7), (99, 5), (999, 3), (None, 2)]

# §7.4 Residence geography [DDG 16.2.11 Table 24].
RESIDENCE: list[Band] = [
    (4_000, 7),
    (20_000, 5),
    (50_000, 4),
    (100_000, 3),
    (250_000, 1),
    (560_000, 0),
    (1_000_000, -1),
    (2_000_000, -3),
    (None, -5),
]
# §7.4 Service geography by population [DDG 16.2.11 Table 25].
SERVICE: list[Band] = [
    (20_000, 1),
    (250_000, 0),
    (560_000, -1),
    (1_000_000, -3),
    (2_000_000, -4),
    (None, -5),
]
SERVICE_ADDRESS = {"urban": 3, "rural": 5, "frontier": 7}
# §7.4 Insurance coverage [DDG 16.2.9 Table 22].
COVERAGE: list[Band] = [
    (20_000, 5),
    (50_000, 4),
    (100_000, 3),
    (250_000, 1),
    (560_000, 0),
    (1_000_000, -1),
    (2_000_000, -3),
    (None, -5),
]
# §7.6 Expected payer / means-tested programs [DDG 16.2.10 Table 23] (§16 A7 band reading).
EXPECTED_PAYER: list[Band] = [
    (20_000, 7),
    (100_000, 5),
    (300_000, 3),
    (4_000_000, 2),
    (10_000_000, 1),
    (None, 0),
]
# §7.7 Generalised population bands [DDG 16.2.2 Table 2].
POPULATION: list[Band] = [(20_000, 7), (100_000, 5), (300_000, 3), (4_000_000, 2), (None, 1)]
# §7.7 Age range by narrowest band width in years [DDG 16.2.3 Table 3] (§16 A11: Table 3 rules).
AGE_WIDTH: list[Band] = [(2, 7), (5, 5), (10, 3), (29, 2), (None, 1)]
# §7.8 Other variables by number of categories when no population is known.
OTHER_GROUPS: list[Band] = [(4, 3), (9, 5), (None, 7)]

# §7.3 Time.
TIME = {"year": 0, "half_year": 3, "quarter": 4, "month": 5, "week": 5, "day": 5}

# §7.7 Race (broad scheme) [DDG 16.2.4 Table 5], §16 A18.
RACE_BASIC = {
    "white",
    "asian",
    "black or african american",
    "black",
    "african american",
    "hispanic or latino",
    "hispanic",
    "latino",
    "middle eastern or north african",
    "mena",
}
RACE_EXTENDED = {
    "american indian or alaska native",
    "aian",
    "native hawaiian or other pacific islander",
    "nhpi",
    "mixed",
    "multiracial",
    "two or more races",
    "some other race",
    "other",
}
RACE_NEUTRAL = {"unknown", "not reported", "unknown / not reported", "missing", "declined"}

SIMPLE_VARIABLES = {
    ("sex", None): 1,
    ("sexual_orientation", None): 2,
    ("gender_identity", "three_category"): 3,
    ("gender_identity", "disaggregated"): 5,
    ("intersex", "separate_yes_no"): 2,
    ("intersex", "combined_with_sex"): 2,
    ("immigration", "citizen_foreign_born"): 1,
    ("immigration", "citizen_naturalized_noncitizen"): 1,
    ("ethnicity", "hispanic_yes_no"): 1,
    ("language", "english_spanish_other"): 1,
}
