"""Files on a proposal: what is refused, where accepted ones go, who reads an opinion's; and
the data dictionary of the requested fields."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.catalog.dictionary import FORMATS
from accord.catalog.glossary import link_term, save_term
from accord.db.engine import transaction
from accord.errors import NotFound, ValidationFailed
from accord.proposals import drafting, reviews
from accord.proposals.access import load
from accord.proposals.attachments import (
    MAX_BYTES,
    add_attachment,
    attachment_reads,
    attachments,
    open_attachment,
    requested_datasets,
    requested_dictionaries,
    requested_dictionary,
)
from accord.proposals.models import ProposalElement
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


def test_only_an_opinions_files_are_restricted_reads(world: World) -> None:
    pid = to_review(world)
    store = world.settings.data_dir
    legal = world.cdw["legal"]
    opinion = run(world, reviews.register_opinion, legal, pid, "See the memo.")
    plain = run(world, add_attachment, legal, store, pid, "Scope.pdf", PDF)
    memo = run(world, add_attachment, legal, store, pid, "Memo.pdf", PDF, opinion_id=opinion.id)
    assert attachment_reads([plain, memo]) == [f"attachment:{memo.id}"]


def test_one_requested_datasets_dictionary_and_none_for_a_dataset_not_requested(
    world: World,
) -> None:
    pid = start(world, ("client.ssn", "client.county", "visit.diagnosis_code"))
    reader = world.dcs["requester"]
    with transaction(world.settings) as session:
        datasets = requested_datasets(session, load(session, reader, pid))
        by_name = {d.name: d for d in datasets}
    assert set(by_name["main.client"].fields) == {"ssn", "county"}
    assert by_name["main.visit"].fields == ("diagnosis_code",)
    visit = run(world, requested_dictionary, reader, pid, by_name["main.visit"].dataset_id)
    assert [f.name for f in visit.fields] == ["diagnosis_code"]
    assert visit.fields[0].classifications == ("PHI",)
    with pytest.raises(NotFound, match="requests no field of dataset"):
        run(world, requested_dictionary, reader, pid, 999)
    with pytest.raises(NotFound, match=f"No proposal {pid}"):
        run(world, requested_dictionary, world.other, pid, by_name["main.visit"].dataset_id)


def test_a_dataset_whose_fields_were_all_taken_out_has_no_dictionary(world: World) -> None:
    pid = start(world, ("client.ssn", "visit.diagnosis_code"))
    requester = world.dcs["requester"]
    with transaction(world.settings) as session:
        visit = session.scalar(
            select(ProposalElement).where(
                ProposalElement.proposal_id == pid,
                ProposalElement.field_name == "diagnosis_code",
            )
        )
        assert visit is not None
        drafting.set_removed(session, requester, pid, visit.id, True)
        visit_id = visit.dataset_id
    names = [d.dataset.name for d in run(world, requested_dictionaries, requester, pid)]
    assert names == ["main.client"]
    with pytest.raises(NotFound):
        run(world, requested_dictionary, requester, pid, visit_id)


def test_the_glossary_of_a_cut_dictionary_names_only_requested_fields(world: World) -> None:
    steward = world.cdw["steward"]
    with transaction(world.settings) as session:
        term = save_term(session, steward, term="Client", definition="A person served.")
        for name in ("client.ssn", "client.full_name"):
            link_term(session, steward, world.fields[name], term.id)
        other = save_term(session, steward, term="Legal name", definition="As on the ID.")
        link_term(session, steward, world.fields["client.full_name"], other.id)
    pid = start(world, ("client.ssn",))
    (dictionary,) = run(world, requested_dictionaries, world.dcs["requester"], pid)
    assert [(g.term, g.fields) for g in dictionary.glossary] == [("Client", ("ssn",))]
    assert b"full_name" not in FORMATS["xlsx"].render(dictionary)
