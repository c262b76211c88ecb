"""Files on a proposal: what is refused, where accepted ones go, who reads an opinion's; and
the data dictionary of the requested fields."""

from __future__ import annotations

import pytest

from accord.catalog.dictionary import FORMATS
from accord.db.engine import transaction
from accord.errors import NotFound, ValidationFailed
from accord.proposals import reviews
from accord.proposals.access import load
from accord.proposals.attachments import (
    MAX_BYTES,
    add_attachment,
    attachments,
    open_attachment,
    requested_dictionaries,
)
from tests.proposals.conftest import World
from tests.proposals.stages import run, start, to_review

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("../../etc/passwd.txt", b"root", "Name the file"),
        (".hidden.pdf", PDF, "Name the file"),
        ("notes\u202etxt.exe", b"x", "Name the file"),
        ("tool.exe", b"MZ\x90\x00", "Accepted types"),
        ("opinion.pdf", b"<html>not a pdf</html>", "not a .pdf file"),
        ("table.csv", b"a,b\x00\x01", "holds text"),
        ("empty.txt", b"", "empty"),
        ("huge.txt", b"x" * (MAX_BYTES + 1), "limited to 10 MB"),
    ],
)
def test_odd_names_unknown_types_disguised_content_and_oversize_files_are_refused(
    world: World, name: str, data: bytes, says: str
) -> None:
    pid = start(world)
    with pytest.raises(ValidationFailed) as refused:
        run(world, add_attachment, world.dcs["requester"], world.settings.data_dir, pid, name, data)
    assert says in " ".join(p.message for p in refused.value.problems)
    folder = world.settings.data_dir / "proposals" / str(pid)
    assert not folder.exists() or not any(folder.iterdir())


def test_an_accepted_file_is_stored_by_its_checksum_and_read_back(world: World) -> None:
    pid = start(world)
    store = world.settings.data_dir
    added = run(world, add_attachment, world.dcs["requester"], store, pid, "Use case (v2).pdf", PDF)
    assert (store / added.stored_as).read_bytes() == PDF
    assert not [p for p in (store / "proposals" / str(pid)).iterdir() if p.name.startswith(".")]
    found, data = run(world, open_attachment, world.cdw["steward"], store, pid, added.id)
    assert (found.filename, data) == ("Use case (v2).pdf", PDF)
    with pytest.raises(NotFound):
        run(world, open_attachment, world.other, store, pid, added.id)


def test_an_opinions_attachment_is_read_only_by_who_reads_the_opinion(world: World) -> None:
    pid = to_review(world)
    store = world.settings.data_dir
    opinion = run(world, reviews.register_opinion, world.cdw["legal"], pid, "See the memo.")
    memo = run(
        world,
        add_attachment,
        world.cdw["legal"],
        store,
        pid,
        "Legal memo.pdf",
        PDF,
        opinion_id=opinion.id,
    )
    with pytest.raises(ValidationFailed, match="not accepted"):
        run(
            world,
            add_attachment,
            world.dcs["legal"],
            store,
            pid,
            "Theirs.pdf",
            PDF,
            opinion_id=opinion.id,
        )
    with transaction(world.settings) as session:
        for who, sees in ((world.dcs["steward"], False), (world.dcs["privacy_officer"], True)):
            names = [a.id for a in attachments(session, who, load(session, who, pid))]
            assert (memo.id in names) is sees
    with pytest.raises(NotFound):
        run(world, open_attachment, world.dcs["steward"], store, pid, memo.id)


def test_the_dictionary_attached_holds_exactly_the_requested_fields(world: World) -> None:
    pid = start(world, ("client.ssn", "client.county"))
    dictionaries = run(world, requested_dictionaries, world.cdw["legal"], pid)
    assert [(d.dataset.name, [f.name for f in d.fields]) for d in dictionaries] == [
        ("main.client", ["ssn", "county"])
    ]
    csv = FORMATS["csv"].render(dictionaries[0]).decode("utf-8-sig")
    assert "full_name" not in csv and "ssn" in csv
