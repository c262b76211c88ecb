"""Releases as records (issue 12 item 4): the service checks who may release and who may
read, stores the files whole, and audits every attempt, whichever interface calls it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.cli.main import app
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import NotFound, PermissionDenied
from accord.releases.models import TableRelease
from accord.releases.service import (
    get_release,
    list_releases,
    release_file,
    release_folder,
    release_table,
)
from tests.cli.test_cli import cli_env  # noqa: F401 - fixture
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user

SPEC = (
    "title: Visits by county\ndimensions: [county, age]\ncount: n\nstatistics: [rate]\n"
    "score: 14\n"
)


def _files(tmp_path: Path, table: str = COUNTY_AGE_CSV, spec: str = SPEC) -> tuple[Path, Path]:
    (tmp_path / "visits.csv").write_text(table)
    (tmp_path / "spec.yaml").write_text(spec)
    return tmp_path / "visits.csv", tmp_path / "spec.yaml"


def _release(settings: Settings, actor: Actor, table: Path, spec: Path, **kw: object) -> int:
    with transaction(settings) as session:
        out = release_table(session, actor, settings, table, spec, **kw)  # type: ignore[arg-type]
        assert out.record is not None, out.findings
        return out.record.id


def _audited(settings: Settings) -> list[AuditEntry]:
    with transaction(settings) as session:
        query = select(AuditEntry).where(AuditEntry.action == "deid.release")
        return list(session.scalars(query.order_by(AuditEntry.seq)))


def test_a_release_is_stored_whole_listed_and_audited(settings: Settings, tmp_path: Path) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    number = _release(settings, dana, *_files(tmp_path))
    folder = release_folder(settings, number)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["table.csv", "table.md", "metadata.txt", "report.json", "report.html"]
    )
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary left
    with transaction(settings) as session:
        [record] = list_releases(session, dana)
        assert (record.id, record.created_by, record.outcome) == (number, "dana", "released")
        assert record.table_name == "visits.csv" and record.title == "Visits by county"
        assert record.spec_text == SPEC and record.summary["primary"] == 1
        report = json.loads(release_file(settings, record, "report.json").read_text())
        assert report["summary"]["primary"] == 1
    [entry] = _audited(settings)
    assert entry.object_id == str(number) and entry.actor == "dana"
    assert json.loads(entry.after or "{}")["outcome"] == "released"


def test_a_refused_release_is_kept_without_files(settings: Settings, tmp_path: Path) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    table = COUNTY_AGE_CSV.replace("county,age,n,rate", "county,age,n,rate_per_1000")
    number = _release(settings, dana, *_files(tmp_path, table, SPEC.replace("[rate]", "[]")))
    with transaction(settings) as session:
        record = get_release(session, dana, number)
        assert record.outcome == "refused" and record.files == []
        assert [f["rule"] for f in record.findings] == ["undescribed-column"]
        with pytest.raises(NotFound):
            release_file(settings, record, "table.csv")
    assert not release_folder(settings, number).exists()


def test_input_that_cannot_be_read_is_audited_and_stores_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    table, spec = _files(tmp_path, spec="dimensions: [county, age]\ncount: nn\n")
    with transaction(settings) as session:
        out = release_table(session, dana, settings, table, spec)
        assert out.status == "invalid" and out.record is None
        assert [f.rule for f in out.findings] == ["unknown-column"]
        assert session.scalars(select(TableRelease)).all() == []
    assert json.loads(_audited(settings)[0].after or "{}")["outcome"] == "invalid"


def test_who_may_release_and_who_may_read(settings: Settings, tmp_path: Path) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    auditor = make_user(settings, "aude", "auditor")
    requester = make_user(settings, "rex", "requester", department="DCS")
    other = make_user(settings, "olga", "data_coordinator", department="DCS")
    number = _release(settings, dana, *_files(tmp_path))
    table, spec = _files(tmp_path)
    with transaction(settings) as session:
        for actor in (auditor, requester):
            with pytest.raises(PermissionDenied):
                release_table(session, actor, settings, table, spec)
        assert [r.id for r in list_releases(session, auditor)] == [number]
        with pytest.raises(PermissionDenied):
            list_releases(session, requester)
        # another department's coordinator may release its own, never see this one
        assert list_releases(session, other) == []
        with pytest.raises(NotFound):
            get_release(session, other, number)


def test_a_release_links_to_a_catalog_dataset_that_exists(
    settings: Settings, tmp_path: Path
) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    with transaction(settings) as session, pytest.raises(NotFound):
        release_table(session, dana, settings, *_files(tmp_path), dataset_id=999)
    with transaction(settings) as session:
        assert session.scalars(select(TableRelease)).all() == []


@pytest.mark.parametrize("name", ["../accord.sqlite", "secret.key", "table.csv/..", ""])
def test_only_the_files_a_release_wrote_are_served(
    settings: Settings, tmp_path: Path, name: str
) -> None:
    dana = make_user(settings, "dana", "data_coordinator")
    number = _release(settings, dana, *_files(tmp_path))
    with transaction(settings) as session:
        record = get_release(session, dana, number)
        with pytest.raises(NotFound):
            release_file(settings, record, name)


def test_the_cli_releases_as_a_user_and_is_audited(
    cli_env: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    make_user(cli_env, "dana", "data_coordinator")
    table, spec = _files(tmp_path)
    args = ["deid", "release", str(table), "--spec", str(spec), "--out", str(tmp_path / "out")]
    nobody = CliRunner().invoke(app, args)
    assert nobody.exit_code == 3 and "Say who you are" in nobody.output
    result = CliRunner().invoke(app, [*args, "-q", "--as", "dana"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("release 1: 12 rows, 1 primary")
    assert (tmp_path / "out" / "table.csv").read_text() == (
        release_folder(cli_env, 1) / "table.csv"
    ).read_text()
    [entry] = _audited(cli_env)
    assert entry.actor == "dana" and json.loads(entry.after or "{}")["outcome"] == "released"
    with transaction(cli_env) as session:
        assert session.get(TableRelease, 1).via == "cli"  # type: ignore[union-attr]
