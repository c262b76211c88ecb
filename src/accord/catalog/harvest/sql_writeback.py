"""Write field definitions back into the source database as column comments.

A steward previews the exact statements before confirming, so the statements are rendered
once, as complete SQL text, and that same text is what runs. Literals are therefore rendered
by us rather than bound: PostgreSQL's ``COMMENT ON`` is a utility statement that accepts no
parameters (psycopg 3 binds server-side), and a bound preview would not be the statement that
runs. Rendering follows the server's own quoting rules, read from the live connection
(``standard_conforming_strings`` on PostgreSQL, ``NO_BACKSLASH_ESCAPES`` in the MariaDB
sql_mode); identifiers go through the dialect's identifier preparer.

Everything is checked before anything is written: an unknown column, a view column on MariaDB,
an over-long comment or a NUL character is reported in one ValidationFailed listing them all.
PostgreSQL runs all statements in one transaction. MariaDB/MySQL cannot roll DDL back (each
ALTER TABLE commits), so there all changes to one table go into a single ALTER TABLE, which is
atomic per table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from accord.catalog.harvest.errors import WriteBackNotSupported
from accord.catalog.harvest.sql_connect import open_source
from accord.errors import Problem, ValidationFailed

# (schema, table, column, definition); the definition becomes the column comment.
CommentTarget = tuple[str, str, str, str]
MARIADB_COMMENT_LIMIT = 1024  # characters a MariaDB/MySQL column comment may hold
WRITABLE = ("postgresql", "mysql", "mariadb")


def writes_back(location: str) -> bool:
    """Can definitions be written back to the database at ``location``? (Pages offer it only
    where it can work.)"""
    try:
        return make_url(location).get_backend_name() in WRITABLE
    except ArgumentError:
        return False


def comment_statements(url: str, comments: Sequence[CommentTarget]) -> list[str]:
    """The exact statements ``apply_comments`` would run, for a preview; nothing is written.

    Raises WriteBackNotSupported for dialects other than PostgreSQL and MariaDB/MySQL,
    ValidationFailed listing every target that cannot be written, SourceUnavailable.
    """
    with open_source(url) as conn:
        return _statements(conn, comments)


def apply_comments(url: str, comments: Sequence[CommentTarget]) -> None:
    """Store each definition as its column's comment (see the module notes on atomicity).

    Raises the same errors as ``comment_statements``, before writing anything.
    """
    with open_source(url) as conn, conn.begin():
        for statement in _statements(conn, comments):
            # no_parameters: the driver gets the bare text, so a % or :name in a definition is
            # not taken for a placeholder and the statement runs exactly as previewed.
            conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


def _statements(conn: Connection, comments: Sequence[CommentTarget]) -> list[str]:
    dialect = conn.dialect.name
    if dialect not in WRITABLE:
        raise WriteBackNotSupported(
            f"Definitions can be written back to PostgreSQL and MariaDB/MySQL, not {dialect}."
        )
    problems = [
        Problem(f"{s}.{t}.{c}", "The definition contains a NUL character, which cannot be stored.")
        for s, t, c, d in comments
        if "\x00" in d
    ]
    if not comments:
        return []
    if dialect == "postgresql":
        statements = _postgresql(conn, comments, problems)
    else:
        statements = _mariadb(conn, comments, problems)
    if problems:
        raise ValidationFailed(problems, "Nothing was written: some definitions cannot be stored.")
    return statements


def _string_literal(value: str, backslash_escapes: bool) -> str:
    """A SQL string literal as the server will read it back unchanged."""
    value = value.replace("'", "''")
    if backslash_escapes:
        value = value.replace("\\", "\\\\")
    return f"'{value}'"


def _existing(
    conn: Connection, sql: str, comments: Sequence[CommentTarget]
) -> list[tuple[str, ...]]:
    """Rows describing the targeted tables' columns (``sql`` filters on :schemas and :tables)."""
    query = text(sql).bindparams(
        bindparam("schemas", expanding=True), bindparam("tables", expanding=True)
    )
    params = {
        "schemas": sorted({c[0] for c in comments}),
        "tables": sorted({c[1] for c in comments}),
    }
    return [tuple(row) for row in conn.execute(query, params)]


_PG_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname IN :schemas AND c.relname IN :tables
"""


def _postgresql(
    conn: Connection, comments: Sequence[CommentTarget], problems: list[Problem]
) -> list[str]:
    existing = {tuple(row) for row in _existing(conn, _PG_COLUMNS, comments)}
    conforming = conn.exec_driver_sql("SHOW standard_conforming_strings").scalar() == "on"
    quote = conn.dialect.identifier_preparer.quote
    statements = []
    for schema, table, column, definition in comments:
        if (schema, table, column) not in existing:
            problems.append(Problem(f"{schema}.{table}.{column}", "No such column in the source."))
            continue
        target = f"{quote(schema)}.{quote(table)}.{quote(column)}"
        literal = _string_literal(definition, backslash_escapes=not conforming)
        statements.append(f"COMMENT ON COLUMN {target} IS {literal}")
    return statements


_MY_COLUMNS = """
SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, t.TABLE_TYPE, c.COLUMN_TYPE,
       c.CHARACTER_SET_NAME, c.COLLATION_NAME, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA,
       c.GENERATION_EXPRESSION
FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA IN :schemas AND c.TABLE_NAME IN :tables
"""


def _mariadb(
    conn: Connection, comments: Sequence[CommentTarget], problems: list[Problem]
) -> list[str]:
    """One ``ALTER TABLE … MODIFY COLUMN …`` per table, restating each column's definition.

    MariaDB has no statement that sets only a comment: MODIFY COLUMN replaces the whole
    definition, so type, character set and collation, nullability, default, ON UPDATE,
    AUTO_INCREMENT, INVISIBLE and generation expression are read back and restated verbatim.
    """
    columns = {(r[0], r[1], r[2]): r for r in _existing(conn, _MY_COLUMNS, comments)}
    sql_mode = str(conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar() or "")
    escapes = "NO_BACKSLASH_ESCAPES" not in sql_mode.upper()
    mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
    quote = conn.dialect.identifier_preparer.quote
    per_table: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, definition in comments:
        where = f"{schema}.{table}.{column}"
        row = columns.get((schema, table, column))
        if row is None:
            problems.append(Problem(where, "No such column in the source."))
            continue
        if row[3] == "VIEW":
            problems.append(Problem(where, "MariaDB cannot store comments on view columns."))
            continue
        if len(definition) > MARIADB_COMMENT_LIMIT:
            problems.append(
                Problem(
                    where,
                    f"MariaDB column comments hold at most {MARIADB_COMMENT_LIMIT} "
                    f"characters; this definition has {len(definition)}.",
                )
            )
            continue
        literal = _string_literal(definition, escapes)
        clause = f"{_column_definition(row, quote, mariadb, escapes)} COMMENT {literal}"
        per_table.setdefault((schema, table), {})[column] = clause  # last definition wins
    return [
        f"ALTER TABLE {quote(schema)}.{quote(table)} "
        + ", ".join(f"MODIFY COLUMN {clause}" for clause in clauses.values())
        for (schema, table), clauses in per_table.items()
    ]


_ON_UPDATE = re.compile(r"on update (\S+)", re.IGNORECASE)


def _column_definition(
    row: tuple[str, ...], quote: Callable[[str], str], mariadb: bool, escapes: bool
) -> str:
    """Restate a column from its information_schema.COLUMNS row (without its comment)."""
    _, _, name, _, column_type, charset, collation, nullable, default, extra, expression = row
    extra = extra or ""
    lowered = extra.lower()
    parts = [quote(name), column_type]
    if collation:
        parts += ["CHARACTER SET", charset, "COLLATE", collation]
    if "generated" in lowered:  # a generated column: no NULL / DEFAULT clauses allowed
        storage = "VIRTUAL" if "virtual" in lowered else "STORED"
        parts.append(f"GENERATED ALWAYS AS ({expression}) {storage}")
        return " ".join(parts)
    parts.append("NULL" if nullable == "YES" else "NOT NULL")
    if default is not None:
        parts.append(f"DEFAULT {_default(default, lowered, mariadb, escapes)}")
    match = _ON_UPDATE.search(extra)
    if match:
        parts.append(f"ON UPDATE {match.group(1)}")
    if "auto_increment" in lowered:
        parts.append("AUTO_INCREMENT")
    if "invisible" in lowered:
        parts.append("INVISIBLE")
    return " ".join(parts)


def _default(default: str, extra: str, mariadb: bool, escapes: bool) -> str:
    # MariaDB (10.2.7+) stores defaults as SQL: literals quoted, NULL as NULL, expressions bare.
    if mariadb:
        return default
    # MySQL stores literals unquoted and marks expressions DEFAULT_GENERATED.
    if "default_generated" in extra:
        return default if default.upper().startswith("CURRENT_TIMESTAMP") else f"({default})"
    return _string_literal(default, escapes)
