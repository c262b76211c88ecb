"""A small plan with two datasets, their dictionaries and batches, built by hand: the package
writer needs no database, so neither do its tests; and real SFTP servers started on demand
for the delivery tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import asyncssh
import pyarrow as pa
import pytest

from accord.catalog.dictionary import (
    Dictionary,
    DictionaryDataset,
    DictionaryField,
    GlossaryEntry,
    TermRef,
    ValidValue,
)
from accord.fulfillment.package import PackageResult, write_package
from accord.fulfillment.plan import DatasetPlan, FieldPlan, Format, Plan, Rule
from accord.fulfillment.readme import About
from tests.fulfillment.engines import (  # the source fixtures of each engine
    csv_source,  # noqa: F401
    duckdb_source,  # noqa: F401
    folder,  # noqa: F401
    mariadb_source,  # noqa: F401
    parquet_source,  # noqa: F401
    postgresql_source,  # noqa: F401
    source,  # noqa: F401
    sqlite_source,  # noqa: F401
)
from tests.sftp_server import SftpTestServer

PERSON = DatasetPlan(
    dataset_id=1,
    name="main.person",
    table="person",
    schema="main",
    fields=(
        FieldPlan("person_id", "INTEGER", Rule.PSEUDONYMISE, ("PII:medical_record",)),
        FieldPlan("full_name", "VARCHAR", Rule.DROP, ("PII:name",)),
        FieldPlan("birth_year", "DATE", Rule.YEAR, ("PII:date",)),
        FieldPlan("zip3", "VARCHAR", Rule.ZIP3, ("PII:geography",)),
        FieldPlan("note", "VARCHAR", Rule.KEEP),
    ),
)
VISIT = DatasetPlan(
    dataset_id=2,
    name="main.visit",
    table="visit",
    schema="main",
    fields=(
        FieldPlan("visit_id", "INTEGER", Rule.KEEP),
        FieldPlan("visit_month", "DATE", Rule.MONTH, ("PII:date",)),
        FieldPlan("cost", "DOUBLE", Rule.KEEP),
    ),
)
ABOUT = About(
    title="Asthma visits 2020-2024",
    provider="California Department of Wellness",
    recipient="Department of Public Research",
    permitted_use="Study of asthma visits by region; no linkage to other data.",
    disposal="Destroy all copies within 30 days of the end date and certify it in writing.",
    ends_on="2027-06-30",
)


def plan(fmt: Format = "parquet") -> Plan:
    return Plan(
        agreement_id=7, version=3, release="record_level", format=fmt, datasets=(PERSON, VISIT)
    )


def dictionary(dataset: DatasetPlan) -> Dictionary:
    fields = tuple(
        DictionaryField(
            name=f.name,
            position=i,
            label=f.name.replace("_", " ").title(),
            data_type=f.data_type,
            nullable=True,
            primary_key=i == 0,
            foreign_key="",
            definition=f"The {f.name}.",
            valid_values=(ValidValue("U", "unknown"),) if f.name == "note" else (),
            classifications=f.classifications,
            statutes=(),
            standard_element="",
            tags=(),
            terms=(TermRef("ZIP3", "", "First three digits of a ZIP code."),)
            if f.name == "zip3"
            else (),
        )
        for i, f in enumerate(dataset.delivered)
    )
    meta = DictionaryDataset(
        dataset.dataset_id,
        dataset.name,
        dataset.name.title(),
        "",
        "Asthma",
        "EHR",
        "CDW",
        "",
        "",
        "table",
        None,
        "active",
    )
    return Dictionary(meta, fields, ())


GLOSSARY = (GlossaryEntry("ZIP3", "", "=First three digits of a ZIP code.", ("zip3",)),)


def person_batches(rows: int = 5, size: int = 2) -> Iterator[pa.RecordBatch]:
    for start in range(0, rows, size):
        ids = list(range(start, min(start + size, rows)))
        yield pa.RecordBatch.from_pydict(
            {
                "person_id": pa.array([f"p{i:04d}" for i in ids]),
                "birth_year": pa.array([1950 + i for i in ids], pa.int32()),
                "zip3": pa.array(["956" for _ in ids]),
                # a formula, a negative number, a line break and a null
                "note": pa.array([["=1+2", "-5", "two\nlines", None, "plain"][i % 5] for i in ids]),
            }
        )


def visit_batches(rows: int = 3) -> Iterator[pa.RecordBatch]:
    yield pa.RecordBatch.from_pydict(
        {
            "visit_id": pa.array(list(range(rows)), pa.int64()),
            "visit_month": pa.array([f"2024-{m % 12 + 1:02d}" for m in range(rows)]),
            "cost": pa.array([10.5 * m for m in range(rows)]),
        }
    )


def write(
    root: Path, name: str = "agreement-7-v3", fmt: Format = "parquet", **overrides: object
) -> PackageResult:
    kwargs: dict[str, object] = {
        "dictionaries": {d.name: dictionary(d) for d in (PERSON, VISIT)},
        "glossary": GLOSSARY,
        "about": ABOUT,
    }
    kwargs.update(overrides)
    tables = kwargs.pop("tables", [(PERSON, person_batches()), (VISIT, visit_batches())])
    return write_package(root, name, plan(fmt), tables, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def package(tmp_path: Path) -> PackageResult:
    return write(tmp_path)


PASSWORD = "correct horse battery staple"
UPLOAD_DIR = "incoming"  # the recipient's folder, under the server's root

StartServer = Callable[..., SftpTestServer]


@pytest.fixture(scope="session")
def client_key() -> asyncssh.SSHKey:
    """One key pair for the session: generating keys is the slow part of a test."""
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def start_sftp_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start a server (options as ``SftpTestServer``) with an ``incoming`` folder; every one
    started is stopped at the end of the test."""
    started: list[SftpTestServer] = []

    def start(**options: object) -> SftpTestServer:
        root = tmp_path / f"sftp-root-{len(started)}"
        (root / UPLOAD_DIR).mkdir(parents=True)
        server = SftpTestServer(root, **options)  # type: ignore[arg-type]
        server.__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sftp_server(start_sftp_server: StartServer, client_key: asyncssh.SSHKey) -> SftpTestServer:
    """A server accepting both the test password and the test client key."""
    return start_sftp_server(password=PASSWORD, client_key=client_key)
