"""CSV cells a spreadsheet cannot run as formulas.

A recipient opens Accord's CSV files in Excel or LibreOffice, which evaluate a cell starting
with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, the same) as a formula:
``=HYPERLINK(...)`` in a field label becomes a link, ``+cmd|' /C calc'!A0`` a command. Following
OWASP's rule, such a cell is written with a leading apostrophe, which spreadsheets show as
text; a plain number such as ``-5`` or ``+1.5e3`` stays a number. Reading Accord's own files
back, the apostrophe is taken off again, so an export imports unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _runs(text) else text


def safe_row(row: Iterable[object]) -> list[str]:
    return [safe(cell) for cell in row]


def restored(text: str) -> str:
    """The value a ``safe`` cell was made from."""
    return text[1:] if text.startswith("'") and _runs(text[1:]) else text


def _runs(text: str) -> bool:
    # Apostrophes already in front are looked through, so that a value which itself begins
    # with one ("'=x") is escaped too and reads back exactly.
    rest = text.lstrip("'")
    return rest.startswith(TRIGGERS) and not NUMBER.fullmatch(rest)
