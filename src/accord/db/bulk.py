"""Inserting many rows through the driver's own executemany.

SQLAlchemy's Core path compiles and processes every row's parameters in Python; at the
50,000 rows of a large harvest that costs as much as the insert itself. Here only timestamp
columns go through their type's bind processor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Date, DateTime
from sqlalchemy.types import TypeDecorator

from accord.db.base import Base


def insert_rows(connection: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    table = model.__table__
    columns = list(rows[0])
    dialect = connection.dialect
    # Only timestamps need converting (to UTC, and to text on SQLite); numbers, text and
    # booleans go to every driver as they are.
    processors = {
        c: p
        for c in columns
        if isinstance(table.c[c].type, DateTime | Date | TypeDecorator)
        and (p := table.c[c].type.bind_processor(dialect)) is not None
    }
    if processors:
        rows = [{**row, **{c: p(row[c]) for c, p in processors.items()}} for row in rows]
    mark = {"qmark": "?", "numeric": ":{}", "named": ":{}"}.get(dialect.paramstyle, "%s")
    if mark == ":{}":
        placeholders = ", ".join(f":{c}" for c in columns)
        params: list[Any] = list(rows)
    else:
        placeholders = ", ".join(mark for _ in columns)
        params = [tuple(row[c] for c in columns) for row in rows]
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(model.__tablename__)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({placeholders})"
    )
    connection.exec_driver_sql(sql, params)
