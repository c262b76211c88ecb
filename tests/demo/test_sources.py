"""The demo department's generated program databases, checked on real SQLite files."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from accord.demo import programs, sources
from accord.demo.sources import PROGRAMS, ProgramSource, describe_sources, generate_sources
from accord.errors import ValidationFailed

EVENTS = 3_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[ProgramSource]:
    return generate_sources(tmp_path_factory.mktemp("sources"), seed=7, events=EVENTS)


def _connect(source: ProgramSource) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{source.path}?mode=ro", uri=True)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for table in _tables(conn):
            digest.update(table.encode())
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_one_database_per_program(generated: list[ProgramSource]) -> None:
    assert [(s.program, s.slug) for s in generated] == [
        ("Walk 2 Work", "walk2work"),
        ("Healthy Habits", "healthyhabits"),
        ("Your Environment", "yourenvironment"),
    ]
    for source in generated:
        assert source.path.name == f"{source.slug}.sqlite"
        assert source.path.is_file()


def test_no_part_files_left(generated: list[ProgramSource]) -> None:
    folder = generated[0].path.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(s.path.name for s in generated)


def test_reported_counts_are_the_real_counts(generated: list[ProgramSource]) -> None:
    for source, design in zip(generated, PROGRAMS, strict=True):
        with _connect(source) as conn:
            assert sorted(source.tables) == _tables(conn)
            for table, count in source.tables.items():
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (count,)
        assert source.tables[design.event_table] == EVENTS
        assert source.tables["person"] == 200
        assert source.tables["enrollment"] == 200
        assert source.tables["county_code"] == 58


def test_foreign_keys_hold(generated: list[ProgramSource]) -> None:
    for source, design in zip(generated, PROGRAMS, strict=True):
        with _connect(source) as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            # The events really are tied to their parents, so the check above means something.
            assert conn.execute(f"PRAGMA foreign_key_list({design.event_table})").fetchall()
            assert conn.execute("PRAGMA foreign_key_list(person)").fetchall()


def test_each_database_has_indexes_and_a_summary_view(generated: list[ProgramSource]) -> None:
    for source, design in zip(generated, PROGRAMS, strict=True):
        with _connect(source) as conn:
            (view,) = conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchone()
            assert conn.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0
            indexed = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                (design.event_table,),
            ).fetchone()[0]
            assert indexed >= 2


def test_ssns_are_never_issuable(generated: list[ProgramSource]) -> None:
    pattern = re.compile(r"9\d\d-(?!00)\d\d-(?!0000)\d{4}")
    for source in generated:
        with _connect(source) as conn:
            ssns = [ssn for (ssn,) in conn.execute("SELECT ssn FROM person")]
        assert len(ssns) == len(set(ssns)) == 200
        assert all(pattern.fullmatch(ssn) for ssn in ssns)


def test_cins_look_like_medi_cal_cins(generated: list[ProgramSource]) -> None:
    pattern = re.compile(r"\d{8}[A-Z]")
    for source in generated:
        with _connect(source) as conn:
            cins = [cin for (cin,) in conn.execute("SELECT medi_cal_cin FROM person")]
        present = [cin for cin in cins if cin is not None]
        # Only Medi-Cal beneficiaries have a CIN.
        assert 0 < len(present) < len(cins)
        assert all(pattern.fullmatch(cin) for cin in present)


def test_addresses_are_californian_and_contacts_fictional(generated: list[ProgramSource]) -> None:
    for source in generated:
        with _connect(source) as conn:
            rows = conn.execute("SELECT zip_code, phone, email FROM person").fetchall()
            counties = conn.execute("SELECT count(DISTINCT county) FROM person").fetchone()[0]
        assert all(90000 <= int(zip_code) <= 96199 for zip_code, _, _ in rows)
        assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", p) for _, p, _ in rows if p)
        assert all(
            e.endswith(("@example.com", "@example.org", "@example.net")) for _, _, e in rows if e
        )
        assert counties > 10


def test_programs_share_some_people(generated: list[ProgramSource]) -> None:
    """One synthetic population underlies all three, so cross-program linkage has matches."""
    ssns = []
    for source in generated:
        with _connect(source) as conn:
            ssns.append({ssn for (ssn,) in conn.execute("SELECT ssn FROM person")})
    assert ssns[0] & ssns[1]
    assert ssns[0] != ssns[1]


def test_same_seed_same_content_other_seed_differs(
    generated: list[ProgramSource], tmp_path: Path
) -> None:
    again = generate_sources(tmp_path / "again", seed=7, events=EVENTS)
    other = generate_sources(tmp_path / "other", seed=8, events=EVENTS)
    for first, second, third in zip(generated, again, other, strict=True):
        assert second.tables == first.tables
        assert content_hash(second.path) == content_hash(first.path)
        assert content_hash(third.path) != content_hash(first.path)


def test_events_parameter_sets_event_rows_and_people(tmp_path: Path) -> None:
    sources = generate_sources(tmp_path, events=10_250)
    for source, design in zip(sources, PROGRAMS, strict=True):
        assert source.tables[design.event_table] == 10_250
        assert source.tables["person"] == 410


def test_zero_events_gives_empty_event_tables(tmp_path: Path) -> None:
    sources = generate_sources(tmp_path, events=0)
    for source, design in zip(sources, PROGRAMS, strict=True):
        assert source.tables[design.event_table] == 0
        with _connect(source) as conn:
            assert conn.execute(f"SELECT count(*) FROM {design.event_table}").fetchone() == (0,)


def test_progress_counts_event_rows_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_sources(tmp_path, events=1_000, progress=lambda *call: calls.append(call))
    for design in PROGRAMS:
        done = [d for program, d, total in calls if program == design.program and total == 1_000]
        assert done[0] == 0
        assert done[-1] == 1_000
        assert done == sorted(done)


def test_chunked_loading_numbers_rows_continuously(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten million events arrive in many chunks; keys must run on across chunk boundaries."""
    monkeypatch.setattr(sources, "CHUNK_ROWS", 700)
    monkeypatch.setattr(programs, "PERSON_SLICE", 64)
    calls: list[tuple[str, int, int]] = []
    generated = generate_sources(tmp_path, events=3_000, progress=lambda *c: calls.append(c))
    for source, design in zip(generated, PROGRAMS, strict=True):
        with _connect(source) as conn:
            for table in ("person", design.event_table):
                ids = [row[0] for row in conn.execute(f"SELECT rowid FROM {table} ORDER BY 1")]
                assert ids == list(range(1, source.tables[table] + 1))
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        done = [d for program, d, _ in calls if program == design.program]
        assert done == [0, 700, 1_400, 2_100, 2_800, 3_000]


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def fail_midway(program: str, done: int, total: int) -> None:
        if program == "Healthy Habits" and done > 0:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        generate_sources(tmp_path, events=500, progress=fail_midway)
    # The program built before the failure is complete; the failed one left no file at all.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk2work.sqlite"]


def test_rebuilding_replaces_the_previous_files(tmp_path: Path) -> None:
    first = generate_sources(tmp_path, seed=1, events=300)
    second = generate_sources(tmp_path, seed=2, events=300)
    assert [s.path for s in first] == [s.path for s in second]
    assert len(list(tmp_path.iterdir())) == 3


def test_negative_seed_and_events_are_refused_together(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as refused:
        generate_sources(tmp_path, seed=-1, events=-1)
    assert [p.field for p in refused.value.problems] == ["seed", "events"]
    assert list(tmp_path.iterdir()) == []


def test_described_columns_exist_and_read_as_definitions(generated: list[ProgramSource]) -> None:
    described = describe_sources()
    assert set(described) == {s.slug for s in generated}
    for source in generated:
        with _connect(source) as conn:
            for table, columns in described[source.slug].items():
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                assert set(columns) <= present, table
                for definition in columns.values():
                    assert definition.endswith(".")
                    assert "used to" not in definition.lower()
