"""The catalog dataset a release made on the De-identify page is linked to: the datasets the
form offers, and the check of the one posted. The catalog service decides which datasets a
person may see; the release service links the release to the one chosen.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.catalog.datasets import DatasetFilter, get_dataset, list_datasets
from accord.catalog.models import Dataset
from accord.errors import NotFound, PermissionDenied, Problem
from accord.web.deps import MAX_ID

# the form's label of the catalog dataset a release is linked to, as its problems name it
CATALOG_DATASET = "Catalog dataset"
LISTED_DATASETS = 1_000  # a longer catalog is linked through the API's dataset_id


@dataclasses.dataclass(frozen=True)
class Linking:
    """The form's choice of a catalog dataset to link a release to: the datasets the person
    may see, by title with the technical name, and the choice as posted (kept when the form
    is shown again)."""

    options: list[tuple[int, str]]
    chosen: str = ""

    @property
    def cut(self) -> bool:
        return len(self.options) >= LISTED_DATASETS


def linking_choices(session: Session, actor: Actor, chosen: str = "") -> Linking:
    """The datasets of the catalog's list (not those removed from their source), by title."""
    rows = list_datasets(session, actor, where=DatasetFilter(sort="name"), limit=LISTED_DATASETS)
    return Linking([(row.dataset.id, _label(row.dataset)) for row in rows], chosen.strip())


def _label(dataset: Dataset) -> str:
    """Its title with the technical name, as the catalog shows a dataset, in plain text."""
    title, name = dataset.title, dataset.name
    return f"{title} ({name})" if title and title != name else name


def chosen_dataset(
    session: Session, actor: Actor, chosen: str
) -> tuple[int | None, Problem | None]:
    """The dataset id the form chose, or why it cannot be linked: a dataset of the catalog
    that the person may see (the catalog service says which). One they may not see is
    refused as one that does not exist, its existence not told. Checked before anything
    runs, so a refusal is a problem on the form rather than an error page."""
    chosen = chosen.strip()
    if not chosen:
        return None, None
    refused = Problem(
        CATALOG_DATASET,
        f"the catalog has no dataset {chosen[:20]!r} that you may link a release to: "
        "choose one from the list, or none",
    )
    if not (chosen.isascii() and chosen.isdigit()) or not 1 <= int(chosen) <= MAX_ID:
        return None, refused
    try:
        return get_dataset(session, actor, int(chosen)).id, None
    except (NotFound, PermissionDenied):
        return None, refused
