"""The technical answers the catalog already knows (BUCP.md §1.2 C: "pre-populate from the
metadata repository"): the volumes of the datasets asked for, and the data categories.

They are written when the proposal starts and follow the requested fields as fields are taken
out or put back, but only while nobody has rewritten them: the text last generated is kept on
the proposal, and an answer that no longer equals it is a person's words and is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.catalog.models import Dataset
from accord.proposals.models import Proposal, ProposalElement

SEP = "; "
FILLED = ("volumes", "data_categories")  # the questions this module answers


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def catalog_answers(session: Session, requested: Iterable[ProposalElement]) -> dict[str, str]:
    """The answers for the fields still requested; a question with nothing to say is absent."""
    by_dataset: dict[int, list[ProposalElement]] = defaultdict(list)
    for e in requested:
        if not e.removed:
            by_dataset[e.dataset_id].append(e)
    titles: dict[int, str] = {
        i: t
        for i, t in session.execute(
            select(Dataset.id, Dataset.title).where(Dataset.id.in_(by_dataset))
        )
    }
    lines = []
    for dataset_id, fields in by_dataset.items():
        name = fields[0].dataset_name
        title = titles.get(dataset_id) or ""
        rows = max((e.row_count for e in fields if e.row_count is not None), default=None)
        named = f"{title} ({name})" if title and title != name else name
        of_rows = "an unknown number of rows" if rows is None else _count(rows, "row", "rows")
        lines.append(
            (title or name, f"{named}: {_count(len(fields), 'field', 'fields')} of {of_rows}")
        )
    answers = {}
    if lines:
        answers["volumes"] = "\n".join(line for _, line in sorted(lines))
    kinds = sorted(
        {
            c.split(":")[0]
            for fields in by_dataset.values()
            for e in fields
            for c in e.classifications.split(SEP)
            if c and c != "PUBLIC"
        }
    )
    if kinds:
        answers["data_categories"] = "Classified in the catalog as: " + ", ".join(kinds) + "."
    return answers


def refill(session: Session, proposal: Proposal, requested: Iterable[ProposalElement]) -> list[str]:
    """Bring the catalog's answers up to date with the requested fields, leaving any answer a
    person has written over; returns the questions changed. The caller records the version."""
    fresh = catalog_answers(session, requested)
    before = dict(proposal.prefilled or {})
    answers = dict(proposal.answers)
    changed = []
    for key in FILLED:
        if answers.get(key) != before.get(key):
            continue  # rewritten (or cleared) by a person: their words stay
        if key in fresh:
            answers[key] = fresh[key]
        else:
            answers.pop(key, None)
        if answers.get(key) != proposal.answers.get(key):
            changed.append(key)
    proposal.answers = answers
    proposal.prefilled = fresh
    return changed
