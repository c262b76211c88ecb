"""Full-text search over datasets, fields and glossary terms, with filters.

SQLite uses an FTS5 index, PostgreSQL a tsvector column (both made by the migration), so no
search service is needed. The search box is never passed through as query syntax: words are
extracted and quoted, so FTS operators or SQL typed by a user are just words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import (
    CatalogField,
    Dataset,
    FieldClassification,
    FieldStatute,
    GlossaryTerm,
    SearchDoc,
    Statute,
)
from accord.db.bulk import insert_rows

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


@dataclass(frozen=True)
class Filters:
    program: str = ""
    classification: str = ""  # a code; a parent matches its sub-types
    statute: str = ""  # "WIC 10850" matches any subdivision of it
    lifecycle: str = ""
    kind: str = ""  # dataset | field | term


@dataclass(frozen=True)
class Hit:
    kind: str
    ref_id: int
    dataset_id: int | None
    title: str
    snippet: str
    program: str
    classifications: str


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:MAX_WORDS]


def search(
    session: Session, actor: Actor, query: str, filters: Filters = Filters(), limit: int = 50
) -> list[Hit]:
    """Best matches first; every word must match (as a prefix)."""
    check(actor, Action.VIEW_CATALOG)
    terms = words(query)
    if not terms:
        return []
    clauses, params = _filter_sql(filters)
    params["limit"] = min(max(limit, 1), 500)
    if session.get_bind().dialect.name == "postgresql":
        params["q"] = " & ".join(f"{t}:*" for t in terms)
        # clauses are fixed text with bound parameters (see _filter_sql): no user text here.
        sql = (
            "SELECT d.kind, d.ref_id, d.dataset_id, d.title, substr(d.body, 1, 240) AS snippet,"  # noqa: S608
            " d.program, d.classifications FROM catalog_search_doc d"
            " WHERE d.tsv @@ to_tsquery('english', :q)"
            + clauses
            + " ORDER BY ts_rank(d.tsv, to_tsquery('english', :q)) DESC, d.id LIMIT :limit"
        )
    else:
        params["q"] = " AND ".join('"' + t.replace('"', "") + '"*' for t in terms)
        sql = (
            "SELECT d.kind, d.ref_id, d.dataset_id, d.title,"  # noqa: S608
            " snippet(catalog_search_fts, 1, '', '', ' … ', 24) AS snippet,"
            " d.program, d.classifications FROM catalog_search_fts f"
            " JOIN catalog_search_doc d ON d.id = f.rowid"
            " WHERE catalog_search_fts MATCH :q"
            + clauses
            + " ORDER BY bm25(catalog_search_fts, 4.0, 1.0), d.id LIMIT :limit"
        )
    return [Hit(**row) for row in session.execute(text(sql), params).mappings()]


def _filter_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for column in ("program", "lifecycle", "kind"):
        value = getattr(filters, column)
        if value:
            clauses.append(f" AND d.{column} = :{column}")
            params[column] = value
    if filters.classification:
        clauses.append(" AND d.classifications LIKE :classification")
        params["classification"] = f"% {filters.classification} %"
    if filters.statute:
        clauses.append(" AND d.statutes LIKE :statute")
        params["statute"] = f"% {filters.statute.upper()} %"
    return "".join(clauses), params


def reindex_datasets(session: Session, dataset_ids: list[int]) -> None:
    """Rebuild the search documents of these datasets and their fields."""
    if not dataset_ids:
        return
    for chunk in _chunks(dataset_ids, 500):
        _reindex_chunk(session, chunk)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_sync(session: Session, where: str, params: dict[str, Any], *, remove: bool) -> None:
    """Bring SQLite's external-content FTS index in step with catalog_search_doc rows.

    (PostgreSQL's tsvector is a generated column and needs nothing.)
    """
    if not _is_sqlite(session):
        return
    columns = "catalog_search_fts, rowid, title, body" if remove else "rowid, title, body"
    values = "'delete', id, title, body" if remove else "id, title, body"
    session.execute(
        text(
            f"INSERT INTO catalog_search_fts({columns}) SELECT {values} "  # noqa: S608 - fixed text
            f"FROM catalog_search_doc WHERE {where}"
        ),
        params,
    )


def _reindex_chunk(session: Session, dataset_ids: list[int]) -> None:
    where = f"dataset_id IN ({', '.join(str(int(i)) for i in dataset_ids)})"
    _fts_sync(session, where, {}, remove=True)
    session.execute(delete(SearchDoc).where(SearchDoc.dataset_id.in_(dataset_ids)))
    datasets = {
        d.id: d
        for d in session.execute(
            select(
                Dataset.id,
                Dataset.name,
                Dataset.title,
                Dataset.description,
                Dataset.program,
                Dataset.system,
                Dataset.owner,
                Dataset.lifecycle,
                Dataset.removed_at,
            ).where(Dataset.id.in_(dataset_ids))
        )
    }
    fields = session.execute(
        select(
            CatalogField.id,
            CatalogField.dataset_id,
            CatalogField.name,
            CatalogField.label,
            CatalogField.definition,
            CatalogField.data_type,
            CatalogField.standard_element,
            CatalogField.tags,
        ).where(CatalogField.dataset_id.in_(dataset_ids), CatalogField.removed_at.is_(None))
    ).all()
    classes: dict[int, list[str]] = defaultdict(list)
    for field_id, code in session.execute(
        select(FieldClassification.field_id, FieldClassification.code)
        .join(CatalogField)
        .where(CatalogField.dataset_id.in_(dataset_ids))
    ):
        classes[field_id] += [code, code.split(":")[0]] if ":" in code else [code]
    cites: dict[int, list[str]] = defaultdict(list)
    for field_id, statute in session.execute(
        select(FieldStatute.field_id, Statute)
        .join(Statute)
        .join(CatalogField)
        .where(CatalogField.dataset_id.in_(dataset_ids))
    ):
        cites[field_id].append(f"{statute.code} {statute.section}")
    by_dataset: dict[int, list[Any]] = defaultdict(list)
    docs: list[dict[str, Any]] = []
    for f in fields:
        by_dataset[f.dataset_id].append(f)
        d = datasets[f.dataset_id]
        docs.append(
            {
                "kind": "field",
                "ref_id": f.id,
                "dataset_id": d.id,
                "program": d.program,
                "lifecycle": d.lifecycle,
                "classifications": _joined(classes[f.id]),
                "statutes": _joined(cites[f.id]),
                "title": f"{f.name} {f.label}".strip(),
                "body": " ".join(
                    x
                    for x in (
                        f.definition,
                        d.title or d.name,
                        f.data_type,
                        f.standard_element,
                        f.tags,
                    )
                    if x
                ),
            }
        )
    for d in datasets.values():
        if d.removed_at is not None:
            continue
        own = by_dataset[d.id]
        docs.append(
            {
                "kind": "dataset",
                "ref_id": d.id,
                "dataset_id": d.id,
                "program": d.program,
                "lifecycle": d.lifecycle,
                "classifications": _joined([c for f in own for c in classes[f.id]]),
                "statutes": _joined([s for f in own for s in cites[f.id]]),
                "title": f"{d.title} {d.name}".strip(),
                "body": " ".join(x for x in (d.description, d.program, d.system, d.owner) if x),
            }
        )
    if docs:
        insert_rows(session.connection(), SearchDoc, docs)
        _fts_sync(session, where, {}, remove=False)


def _joined(values: list[str]) -> str:
    """Space-delimited with a leading space, so LIKE '% CODE%' matches whole codes."""
    return " " + " ".join(sorted(set(values))) + " " if values else ""


def reindex_term(session: Session, term: GlossaryTerm) -> None:
    where, params = "kind = 'term' AND ref_id = :ref", {"ref": term.id}
    _fts_sync(session, where, params, remove=True)
    session.execute(delete(SearchDoc).where(SearchDoc.kind == "term", SearchDoc.ref_id == term.id))
    session.add(
        SearchDoc(
            kind="term",
            ref_id=term.id,
            dataset_id=None,
            title=term.term,
            body=f"{term.acronym} {term.definition}".strip(),
        )
    )
    session.flush()
    _fts_sync(session, where, params, remove=False)
