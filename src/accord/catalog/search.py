"""Full-text search over datasets, fields and glossary terms, with filters.

SQLite uses an FTS5 index, PostgreSQL a tsvector column (both made by the migration), so no
search service is needed. The search box is never passed through as query syntax: words are
extracted and quoted, so FTS operators or SQL typed by a user are just words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    not_,
    select,
    text,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import (
    CatalogField,
    Dataset,
    FieldClassification,
    FieldStatute,
    GlossaryTerm,
    PublishedDescription,
    SearchDoc,
    Statute,
)
from accord.catalog.published import reads_drafts
from accord.catalog.search_words import Term, did_you_mean, expand, forget_glossary
from accord.catalog.snippets import best_snippet

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12
CANDIDATES = 2000  # matches ranked per pass; see search()
SEPARATOR = "|"


@dataclass(frozen=True)
class Filters:
    program: str = ""
    classification: str = ""  # a code; a parent matches its sub-types
    statute: str = ""  # "WIC 10850" matches any subdivision of it
    lifecycle: str = ""
    kind: str = ""  # dataset | field | term


@dataclass(frozen=True)
class Hit:
    """One result. ``title`` is what people call it (a dataset's title, a field's label, a
    term); ``name`` the technical name beside it; a field's dataset is named both ways too."""

    kind: str
    ref_id: int
    dataset_id: int | None
    title: str
    snippet: str
    program: str
    classifications: str
    name: str = ""
    dataset_title: str = ""
    dataset_name: str = ""


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:MAX_WORDS]


def search(
    session: Session, actor: Actor, query: str, filters: Filters = Filters(), limit: int = 50
) -> list[Hit]:
    """Best matches first; every word must match (as a prefix).

    Matches in names and titles come first, then matches in definitions and descriptions.
    Each pass ranks at most ``CANDIDATES`` matches: a word such as "patient" can match a
    fifth of a 500,000-field catalog, and ranking all of those costs more than a search box
    may take; the first passes over names keep the best answers within that bound.
    """
    check(actor, Action.VIEW_CATALOG)
    found = words(query)
    if not found:
        return []
    terms = expand(session, found)
    limit = min(max(limit, 1), 500)
    audience = _audience(actor)
    rows = _ranked(session, terms, filters, audience, limit, titles_only=True)
    if len(rows) < limit:
        seen = {(r["kind"], r["ref_id"]) for r in rows}
        more = _ranked(session, terms, filters, audience, limit, titles_only=False)
        rows += [r for r in more if (r["kind"], r["ref_id"]) not in seen][: limit - len(rows)]
    return _hits(
        session, rows, [[(t.word,), *t.alternatives] for t in terms], drafts=audience == "home"
    )


def suggest_query(session: Session, actor: Actor, query: str) -> str:
    """For a search that found nothing: the query in the index's own words ("diagnosys" ->
    "diagnosis"), or "" when no word is far from a known one."""
    check(actor, Action.VIEW_CATALOG)
    return did_you_mean(session, words(query), _audience(actor))


def _audience(actor: Actor) -> str:
    """Which documents of a field the actor searches (see reindex): drafts or published text."""
    return "home" if reads_drafts(actor) else "others"


def _fts5_match(terms: list[Term]) -> str:
    def word(w: str) -> str:
        return '"' + w.replace('"', "") + '"*'

    groups = []
    for t in terms:
        options = [word(t.word), *("(" + " AND ".join(map(word, a)) + ")" for a in t.alternatives)]
        groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(groups)


def _tsquery(terms: list[Term]) -> str:
    # words are \w+ only (see words()), so no tsquery syntax can reach to_tsquery
    groups = []
    for t in terms:
        options = [
            f"{t.word}:*",
            *("(" + " & ".join(f"{w}:*" for w in a) + ")" for a in t.alternatives),
        ]
        groups.append(options[0] if len(options) == 1 else "(" + " | ".join(options) + ")")
    return " & ".join(groups)


def _ranked(
    session: Session,
    terms: list[Term],
    filters: Filters,
    audience: str,
    limit: int,
    *,
    titles_only: bool,
) -> list[dict[str, Any]]:
    clauses, params = _filter_sql(filters)
    clauses += " AND d.audience IN ('all', :audience)"
    params.update(audience=audience, limit=limit, cap=CANDIDATES)
    columns = (
        "d.kind, d.ref_id, d.dataset_id, d.title, substr(d.body, 1, 1000) AS body,"
        " d.program, d.classifications"
    )
    # clauses are fixed text with bound parameters (see _filter_sql): no user text here.
    if session.get_bind().dialect.name == "postgresql":
        params["q"] = _tsquery(terms)
        vector = "d.title_tsv" if titles_only else "d.tsv"  # each has its own GIN index
        candidates = (
            f"SELECT d.id, ts_rank({vector}, to_tsquery('english', :q)) AS score"  # noqa: S608
            f" FROM catalog_search_doc d WHERE {vector} @@ to_tsquery('english', :q)"
            + clauses
            + " LIMIT :cap"
        )
        order = "c.score DESC"
    else:
        match = _fts5_match(terms)
        params["q"] = f"{{title}} : ({match})" if titles_only else match
        candidates = (
            "SELECT f.rowid AS id, bm25(catalog_search_fts, 4.0, 1.0) AS score"  # noqa: S608
            # CROSS JOIN: SQLite keeps this order, so the index finds matches first and the
            # filters apply to those (the other order probes the index once per document).
            " FROM catalog_search_fts f CROSS JOIN catalog_search_doc d ON d.id = f.rowid"
            " WHERE catalog_search_fts MATCH :q" + clauses + " LIMIT :cap"
        )
        order = "c.score"
    sql = (
        f"SELECT {columns} FROM ({candidates}) c"  # noqa: S608
        f" JOIN catalog_search_doc d ON d.id = c.id ORDER BY {order}, d.id LIMIT :limit"
    )
    return [dict(row) for row in session.execute(text(sql), params).mappings()]


def _hits(
    session: Session,
    rows: list[dict[str, Any]],
    terms: list[list[tuple[str, ...]]],
    *,
    drafts: bool,
) -> list[Hit]:
    """Results named as people know them: one look-up of titles and names for the page (a
    field's label as published, for those who read no drafts)."""
    field_ids = [r["ref_id"] for r in rows if r["kind"] == "field"]
    dataset_ids = list({r["dataset_id"] for r in rows if r["dataset_id"] is not None})
    names = _DRAFT_FIELD_NAMES if drafts else _PUBLISHED_FIELD_NAMES
    fields: dict[int, tuple[str, str]] = (
        {i: (name, shown) for i, name, shown in session.execute(names, {"ids": field_ids})}
        if field_ids
        else {}
    )
    datasets: dict[int, tuple[str, str]] = (
        {
            i: (title, name)
            for i, title, name in session.execute(_DATASET_NAMES, {"ids": dataset_ids})
        }
        if dataset_ids
        else {}
    )
    hits = []
    for r in rows:
        set_title, set_name = datasets.get(r["dataset_id"], ("", ""))
        if r["kind"] == "field" and r["ref_id"] in fields:
            name, label = fields[r["ref_id"]]
            title = label or name
        elif r["kind"] == "dataset":
            title, name = set_title or set_name, set_name
        else:
            title, name = r["title"], ""
        hits.append(
            Hit(
                kind=r["kind"],
                ref_id=r["ref_id"],
                dataset_id=r["dataset_id"],
                title=title,
                snippet=best_snippet(r["body"], terms, skip=set_title or set_name),
                program=r["program"],
                classifications=r["classifications"],
                name=name if name != title else "",
                dataset_title=set_title or set_name,
                dataset_name=set_name,
            )
        )
    return hits


# Built once, with the ids bound (every search runs them): building a statement cost
# SQLAlchemy more than SQLite took to run it.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_DRAFT_FIELD_NAMES = select(CatalogField.id, CatalogField.name, CatalogField.label).where(
    CatalogField.id.in_(_IDS)
)
_PUBLISHED_FIELD_NAMES = (
    select(CatalogField.id, CatalogField.name, func.coalesce(PublishedDescription.label, ""))
    .outerjoin(PublishedDescription)
    .where(CatalogField.id.in_(_IDS))
)
_DATASET_NAMES = select(Dataset.id, Dataset.title, Dataset.name).where(Dataset.id.in_(_IDS))


def _filter_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for column in ("program", "lifecycle", "kind"):
        value = getattr(filters, column)
        if value:
            clauses.append(f" AND d.{column} = :{column}")
            params[column] = value
    if filters.classification:
        # the code itself, or any of its sub-types (PII matches PII:ssn)
        clauses.append(
            " AND (d.classifications LIKE :class_code OR d.classifications LIKE :class_sub)"
        )
        params["class_code"] = f"%{SEPARATOR}{filters.classification}{SEPARATOR}%"
        params["class_sub"] = f"%{SEPARATOR}{filters.classification}:%"
    if filters.statute:
        statute = " ".join(filters.statute.upper().split())
        clauses.append(" AND d.statutes LIKE :statute")
        params["statute"] = f"%{SEPARATOR}{statute}{SEPARATOR}%"
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
    """Rebuild documents inside the database: INSERT … SELECT, no rows through Python, which
    matters when a harvest indexes 50,000 fields at once."""
    where = f"dataset_id IN ({', '.join(str(int(i)) for i in dataset_ids)})"
    params = {"dataset_ids": dataset_ids}
    _fts_sync(session, where, {}, remove=True)
    for statement in _reindex_statements():
        session.execute(statement, params)
    _fts_sync(session, where, {}, remove=False)


@functools.cache
def _reindex_statements() -> tuple[Executable, ...]:
    """The statements of a reindex, built once: building them cost more than running them for
    the one dataset a change touches (a fifth of a busy server's writes)."""
    ids: BindParameter[list[int]] = bindparam("dataset_ids", expanding=True)
    in_chunk = CatalogField.dataset_id.in_(ids)
    codes = (
        select(
            FieldClassification.field_id,
            CatalogField.dataset_id,
            FieldClassification.code.label("value"),
        )
        .join(CatalogField)
        .where(in_chunk)
        .subquery()
    )
    cites = (
        select(
            FieldStatute.field_id,
            CatalogField.dataset_id,
            (Statute.code + " " + Statute.section).label("value"),
        )
        .join(Statute)
        .join(CatalogField)
        .where(in_chunk)
        .subquery()
    )
    field_codes = _aggregate(codes, codes.c.field_id)
    field_cites = _aggregate(cites, cites.c.field_id)
    published = PublishedDescription
    parts = ("label", "definition", "standard_element", "tags")
    current = [getattr(CatalogField, part) for part in parts]
    shown_elsewhere = [func.coalesce(getattr(published, part), "") for part in parts]
    # one document for everyone, unless other departments read a different (published) text
    same = and_(*(a == b for a, b in zip(current, shown_elsewhere, strict=True)))

    def field_docs(
        audience: ColumnElement[str], label: Any, definition: Any, standard: Any, tags: Any
    ) -> Select[Any]:
        return (
            select(
                literal("field"),
                CatalogField.id,
                CatalogField.dataset_id,
                audience,
                Dataset.program,
                Dataset.lifecycle,
                _delimited(field_codes.c.joined),
                _delimited(field_cites.c.joined),
                func.trim(CatalogField.name + " " + label),
                _parts(
                    definition,
                    func.coalesce(func.nullif(Dataset.title, ""), Dataset.name),
                    CatalogField.data_type,
                    standard,
                    tags,
                ),
            )
            .join_from(CatalogField, Dataset, CatalogField.dataset_id == Dataset.id)
            .outerjoin(published, published.field_id == CatalogField.id)
            .outerjoin(field_codes, field_codes.c.key == CatalogField.id)
            .outerjoin(field_cites, field_cites.c.key == CatalogField.id)
            .where(in_chunk, CatalogField.removed_at.is_(None))
        )

    home = field_docs(case((same, literal("all")), else_=literal("home")), *current)
    others = field_docs(literal("others"), *shown_elsewhere).where(not_(same))
    set_codes = _aggregate(codes, codes.c.dataset_id)
    set_cites = _aggregate(cites, cites.c.dataset_id)
    datasets = (
        select(
            literal("dataset"),
            Dataset.id,
            Dataset.id,
            literal("all"),
            Dataset.program,
            Dataset.lifecycle,
            _delimited(set_codes.c.joined),
            _delimited(set_cites.c.joined),
            func.trim(Dataset.title + " " + Dataset.name),
            _parts(Dataset.description, Dataset.program, Dataset.system, Dataset.owner),
        )
        .outerjoin(set_codes, set_codes.c.key == Dataset.id)
        .outerjoin(set_cites, set_cites.c.key == Dataset.id)
        .where(Dataset.id.in_(ids), Dataset.removed_at.is_(None))
    )
    columns = [
        "kind",
        "ref_id",
        "dataset_id",
        "audience",
        "program",
        "lifecycle",
        "classifications",
        "statutes",
        "title",
        "body",
    ]
    # On the table, not the ORM class: the ORM would read the parameters as rows to insert.
    docs = cast(Table, SearchDoc.__table__)
    return (
        delete(docs).where(docs.c.dataset_id.in_(ids)),
        insert(docs).from_select(columns, home),
        insert(docs).from_select(columns, others),
        insert(docs).from_select(columns, datasets),
    )


def _aggregate(values: Subquery, key: ColumnElement[int]) -> Subquery:
    """Distinct values per key, '|'-separated (group_concat or string_agg, by dialect)."""
    distinct = select(key.label("key"), values.c.value).distinct().subquery()
    return (
        select(distinct.c.key, func.aggregate_strings(distinct.c.value, SEPARATOR).label("joined"))
        .group_by(distinct.c.key)
        .subquery()
    )


def _parts(*columns: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[str]:
    """A body's parts one per line, so a snippet can show one part once (see snippets)."""
    joined: ColumnElement[str] = columns[0].expression
    for column in columns[1:]:
        joined = joined + literal("\n") + column
    return joined


def _delimited(joined: ColumnElement[str]) -> ColumnElement[str]:
    """'|A|B|', so that filters match whole codes: LIKE '%|PII|%', or a sub-type '%|PII:%'."""
    return literal(SEPARATOR) + func.coalesce(joined, "") + literal(SEPARATOR)


def reindex_term(session: Session, term: GlossaryTerm) -> None:
    forget_glossary()  # its acronym expands queries from now on
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
