"""Files added to a proposal (supporting documents) or to a registered opinion, and the data
dictionary of the requested fields, attached in the formats the catalog already exports.

Uploads are refused unless their name is plain, their type is one a reviewer can open safely
and their content starts as that type does, and their size is within the limit; the bytes are
written to a temporary file and moved into place, so a failed upload leaves nothing behind.
Attachments of an opinion are restricted content, read as the opinion is: listed only to
those who read the opinion, and each download of one is audited by the adapter
(``attachment_reads`` names it for ``access.record_reads``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.dictionary import Dictionary, build_dictionary
from accord.catalog.models import Dataset
from accord.errors import NotFound, Problem, ValidationFailed
from accord.proposals.access import load, readable_areas
from accord.proposals.drafting import elements
from accord.proposals.form import AREA_OF_ROLE
from accord.proposals.models import Attachment, Opinion, Proposal
from accord.proposals.reviews import DISCUSSED, require_state

MAX_BYTES = 10 * 1024 * 1024
# extension -> (media type, how the content must begin; b"" when text)
TYPES: dict[str, tuple[str, bytes]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "csv": ("text/csv", b""),
    "txt": ("text/plain", b""),
    "md": ("text/markdown", b""),
}
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}\.[a-z0-9]{2,5}")


def name_problems(filename: str, size: int, head: bytes) -> list[Problem]:
    problems = []
    extension = filename.rpartition(".")[2].lower()
    if not PLAIN_NAME.fullmatch(filename) or ".." in filename:
        problems.append(
            Problem(
                "file",
                "Name the file with letters, digits, spaces, dots, hyphens or brackets, "
                "ending in its type (e.g. 'Security opinion 2027-01.pdf').",
            )
        )
    elif extension not in TYPES:
        problems.append(
            Problem("file", f"Accepted types: {', '.join(sorted(TYPES))} (not .{extension}).")
        )
    else:
        magic = TYPES[extension][1]
        if magic and not head.startswith(magic):
            problems.append(Problem("file", f"The file is not a .{extension} file."))
        if not magic and b"\x00" in head:
            problems.append(Problem("file", f"A .{extension} file holds text, not binary data."))
    if size == 0:
        problems.append(Problem("file", "The file is empty."))
    if size > MAX_BYTES:
        problems.append(Problem("file", f"Files are limited to {MAX_BYTES // 1024 // 1024} MB."))
    return problems


def add_attachment(
    session: Session,
    actor: Actor,
    store: Path,
    proposal_id: int,
    filename: str,
    data: bytes,
    *,
    opinion_id: int | None = None,
) -> Attachment:
    """Attach a document to the proposal, or to the actor's department's registered opinion."""
    proposal = load(session, actor, proposal_id)
    check(actor, Action.COMMENT_PROPOSALS, proposal)
    require_state(proposal, DISCUSSED, "attach a file")
    problems = name_problems(filename, len(data), data[:16])
    if opinion_id is not None:
        opinion = session.get(Opinion, opinion_id)
        if opinion is None or opinion.proposal_id != proposal.id:
            problems.append(Problem("opinion_id", f"No opinion {opinion_id} on this proposal."))
        elif opinion.department_id != actor.department_id or not check_reviewer(actor, opinion):
            problems.append(Problem("opinion_id", "Only its department's reviewers add to it."))
    if problems:
        raise ValidationFailed(problems)
    digest = hashlib.sha256(data).hexdigest()
    extension = filename.rpartition(".")[2].lower()
    folder = store / "proposals" / str(proposal.id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.{extension}"
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    attachment = Attachment(
        proposal_id=proposal.id,
        opinion_id=opinion_id,
        filename=filename,
        media_type=TYPES[extension][0],
        size=len(data),
        sha256=digest,
        stored_as=str(target.relative_to(store)),
        uploaded_by=actor.username,
    )
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.attach",
        "proposal",
        proposal.id,
        after={
            "attachment": attachment.id,
            "file": filename,
            "sha256": digest,
            "opinion": opinion_id,
        },
    )
    return attachment


def check_reviewer(actor: Actor, opinion: Opinion) -> bool:
    return opinion.area in {AREA_OF_ROLE[r] for r in actor.roles if r in AREA_OF_ROLE}


def attachments(session: Session, actor: Actor, proposal: Proposal) -> list[Attachment]:
    """The proposal's files the actor may read: an opinion's only with the opinion."""
    may_read_opinions = bool(readable_areas(actor, proposal))
    return [
        a
        for a in session.scalars(
            select(Attachment).where(Attachment.proposal_id == proposal.id).order_by(Attachment.id)
        )
        if a.opinion_id is None or may_read_opinions
    ]


def open_attachment(
    session: Session, actor: Actor, store: Path, proposal_id: int, attachment_id: int
) -> tuple[Attachment, bytes]:
    """An attachment's bytes for a reader; NotFound for anyone who may not read it."""
    proposal = load(session, actor, proposal_id)
    found = next((a for a in attachments(session, actor, proposal) if a.id == attachment_id), None)
    if found is None:
        raise NotFound(f"No attachment {attachment_id} on proposal {proposal_id}.")
    return found, (store / found.stored_as).read_bytes()


def attachment_reads(found: list[Attachment]) -> list[str]:
    """The restricted reads that handing out these files makes ("attachment:7"): an opinion's
    attachments are restricted, the proposal's own supporting documents are not."""
    return [f"attachment:{a.id}" for a in found if a.opinion_id is not None]


@dataclasses.dataclass(frozen=True)
class RequestedDataset:
    """A dataset the proposal asks fields of, whose dictionary can be downloaded."""

    dataset_id: int
    name: str
    fields: tuple[str, ...]  # the requested fields, in the proposal's order


def requested_datasets(session: Session, proposal: Proposal) -> list[RequestedDataset]:
    """The datasets of the fields still requested, those no longer in the catalog left out."""
    wanted: dict[int, tuple[str, list[str]]] = {}
    for e in elements(session, proposal):
        if not e.removed:
            wanted.setdefault(e.dataset_id, (e.dataset_name, []))[1].append(e.field_name)
    present = (
        set(session.scalars(select(Dataset.id).where(Dataset.id.in_(wanted)))) if wanted else set()
    )
    return [
        RequestedDataset(dataset_id, name, tuple(fields))
        for dataset_id, (name, fields) in sorted(wanted.items())
        if dataset_id in present
    ]


def requested_dictionary(
    session: Session, actor: Actor, proposal_id: int, dataset_id: int
) -> Dictionary:
    """The provider's data dictionary of one requested dataset, cut to the requested fields
    (those no longer in the catalog are left out: the proposal itself still lists them).
    NotFound unless the proposal, readable by the actor, still asks fields of that dataset."""
    proposal = load(session, actor, proposal_id)
    found = next(
        (d for d in requested_datasets(session, proposal) if d.dataset_id == dataset_id), None
    )
    if found is None:
        raise NotFound(f"Proposal {proposal_id} requests no field of dataset {dataset_id}.")
    return _cut(build_dictionary(session, actor, dataset_id), set(found.fields))


def requested_dictionaries(session: Session, actor: Actor, proposal_id: int) -> list[Dictionary]:
    """The provider's data dictionary of each requested dataset, cut to the requested fields."""
    proposal = load(session, actor, proposal_id)
    return [
        _cut(build_dictionary(session, actor, d.dataset_id), set(d.fields))
        for d in requested_datasets(session, proposal)
    ]


def _cut(full: Dictionary, names: set[str]) -> Dictionary:
    fields = tuple(f for f in full.fields if f.name in names)
    terms = {t.term for f in fields for t in f.terms}
    glossary = tuple(
        dataclasses.replace(g, fields=tuple(n for n in g.fields if n in names))
        for g in full.glossary
        if g.term in terms
    )
    return dataclasses.replace(full, fields=fields, glossary=glossary)
