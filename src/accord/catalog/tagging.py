"""Classifications and statutes a source itself declares (OpenAPI ``x-`` keys).

They were written by the people who own the source, so they are applied as stated on fields
that have none yet; unknown classification codes are reported, not invented.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.catalog.harvest.model import Harvest
from accord.catalog.models import (
    CatalogField,
    Classification,
    Dataset,
    FieldClassification,
    FieldStatute,
)
from accord.catalog.statutes import get_or_add_statute
from accord.errors import ValidationFailed


def attach_declared_metadata(
    session: Session, actor: Actor, harvest: Harvest, source_id: int
) -> list[str]:
    declared = [
        (d.name, f) for d in harvest.datasets for f in d.fields if f.classifications or f.statutes
    ]
    if not declared:
        return []
    warnings: list[str] = []
    ids = {
        (ds, name): id_
        for id_, ds, name in session.execute(
            select(CatalogField.id, Dataset.name, CatalogField.name)
            .join(Dataset)
            .where(Dataset.source_id == source_id)
        )
    }
    known = set(session.scalars(select(Classification.code)))
    has_class = set(
        session.scalars(
            select(FieldClassification.field_id).where(
                FieldClassification.field_id.in_(ids.values())
            )
        )
    )
    has_statute = set(
        session.scalars(
            select(FieldStatute.field_id).where(FieldStatute.field_id.in_(ids.values()))
        )
    )
    for dataset_name, f in declared:
        field_id = ids[(dataset_name, f.name)]
        if field_id not in has_class:
            for code in dict.fromkeys(f.classifications):
                if code in known:
                    session.add(FieldClassification(field_id=field_id, code=code))
                else:
                    warnings.append(f"{dataset_name}.{f.name}: unknown classification {code!r}")
        if field_id not in has_statute:
            for citation in dict.fromkeys(f.statutes):
                try:
                    statute = get_or_add_statute(session, actor, citation)
                except ValidationFailed:
                    warnings.append(f"{dataset_name}.{f.name}: unreadable statute {citation!r}")
                    continue
                session.add(FieldStatute(field_id=field_id, statute_id=statute.id))
    session.flush()
    return warnings
