"""The keyed hash in Arrow: one pseudonym per value whatever type an engine delivered it as."""

from __future__ import annotations

import datetime as dt
import decimal

import ibis
import pyarrow as pa
import pytest

from accord.fulfillment.plan import Rule
from accord.fulfillment.rules import Pseudonymiser, canonical_text, pseudonymise, rule_expr
from tests.fulfillment.test_extract import KEY, OTHER_KEY, hashed


@pytest.mark.parametrize(
    "values",
    [
        pa.array([42, None], pa.int32()),
        pa.array([42, None], pa.int64()),
        pa.array([42, None], pa.uint16()),
        pa.array([decimal.Decimal("42.00"), None], pa.decimal128(10, 2)),
        pa.array([42.0, None], pa.float64()),
        pa.array(["42", None], pa.string()),
        pa.array(["42", None], pa.large_string()),
        pa.array(["42", None]).dictionary_encode(),
    ],
    ids=lambda a: str(a.type),
)
def test_the_same_value_gives_the_same_pseudonym_from_any_type(values: pa.Array) -> None:
    assert pseudonymise(values, KEY).to_pylist() == [hashed("42"), None]


def test_fractions_and_dates_have_one_canonical_text() -> None:
    assert canonical_text(pa.array([decimal.Decimal("1.50")])).to_pylist() == ["1.5"]
    assert canonical_text(pa.array([1.5, -0.25])).to_pylist() == ["1.5", "-0.25"]
    assert canonical_text(pa.array([dt.date(2024, 3, 9)])).to_pylist() == ["2024-03-09"]
    seconds = pa.array([dt.datetime(2024, 3, 9, 10, 30)], pa.timestamp("s"))
    nanos = pa.array([dt.datetime(2024, 3, 9, 10, 30)], pa.timestamp("ns"))
    assert canonical_text(seconds).to_pylist() == ["2024-03-09T10:30:00"]
    assert canonical_text(nanos).to_pylist() == ["2024-03-09T10:30:00"]
    assert canonical_text(pa.array([True, False])).to_pylist() == ["true", "false"]


def test_repeated_values_share_a_pseudonym_and_keys_differ() -> None:
    ids = pa.chunked_array([["A12", "B7"], ["A12", None, "b7"]])
    got = pseudonymise(ids, KEY).to_pylist()
    assert got == [hashed("A12"), hashed("B7"), hashed("A12"), None, hashed("b7")]
    other = pseudonymise(ids, OTHER_KEY).to_pylist()
    assert other[0] == hashed("A12", OTHER_KEY) != got[0]
    assert all(len(p) == 32 for p in got if p is not None)


def test_a_key_longer_than_a_block_is_hashed_first_as_hmac_requires() -> None:
    long_key = bytes(range(100))
    assert pseudonymise(pa.array(["A12"]), long_key).to_pylist() == [hashed("A12", long_key)]


def test_remembered_pseudonyms_survive_a_full_memory() -> None:
    pseudonymiser = Pseudonymiser(KEY, remember=2)
    assert pseudonymiser(pa.array(["a", "b"])).to_pylist() == [hashed("a"), hashed("b")]
    assert pseudonymiser(pa.array(["c", "a", "a"])).to_pylist() == [hashed("c"), *[hashed("a")] * 2]


def test_a_batch_of_mostly_known_ids_hashes_only_the_new_ones() -> None:
    pseudonymiser = Pseudonymiser(KEY, remember=3)
    hashed_now: list[bytes] = []
    digests = pseudonymiser._digests

    def counting(messages: list[bytes]) -> pa.Array:
        hashed_now.extend(messages)
        return digests(messages)

    pseudonymiser._digests = counting  # type: ignore[method-assign]
    pseudonymiser(pa.array(["a", "b"]))
    assert pseudonymiser(pa.array(["a", "b", "c"])).to_pylist() == [hashed(v) for v in "abc"]
    assert hashed_now == [b"a", b"b", b"c"]


def test_a_zip_code_kept_as_a_number_gets_its_leading_zero_back() -> None:
    con = ibis.duckdb.connect()
    zips = ibis.memtable(
        pa.table({"i": pa.array([2134, 95814, None]), "f": [2134.0, 95814.0, None]})
    )
    got = con.to_pyarrow(
        zips.select(i=rule_expr(zips.i, Rule.ZIP3), f=rule_expr(zips.f, Rule.ZIP3))
    )
    assert zips.i.type().is_integer()
    assert got.column("i").to_pylist() == got.column("f").to_pylist() == ["021", "958", None]


def test_an_age_held_as_text_or_a_fraction_is_banded_by_whole_years() -> None:
    con = ibis.duckdb.connect()
    ages = ibis.memtable({"a": ["89", "90", "9"], "b": [49.9, 50.0, None]})
    got = con.to_pyarrow(
        ages.select(a=rule_expr(ages.a, Rule.AGE_BAND), b=rule_expr(ages.b, Rule.AGE_BAND))
    )
    assert got.to_pylist() == [
        {"a": "80-89", "b": "40-49"},
        {"a": "90+", "b": "50-59"},
        {"a": "0-9", "b": None},
    ]
