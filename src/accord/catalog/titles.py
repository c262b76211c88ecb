"""Dataset titles: names people recognise ("Person — Walk 2 Work") beside technical names.

A harvest proposes a title from the table comment, the table name and the program; a steward
may write another, and from then on nothing automatic changes it (``title_source``).
"""

from __future__ import annotations

import re

# Who wrote a dataset's title: nobody yet, Accord (harvest, program change), or a person.
TITLE_NONE, TITLE_SUGGESTED, TITLE_STEWARD = "", "suggested", "steward"
MAX_COMMENT_WORDS = 8  # a longer comment is a description, not a title
SEPARATOR = " — "
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_FILE = re.compile(r"\.(csv|tsv|txt|parquet|xlsx|xls|json|ya?ml)$", re.IGNORECASE)
_SPLIT = re.compile(r"[_\-\s.]+")


def humanise(name: str) -> str:
    """``public.visit_occurrence`` → ``Visit occurrence``; ``ClientCase`` → ``Client case``."""
    table = name.rsplit("/", 1)[-1]
    if ":" in table:  # a workbook's sheet, "book.xlsx:Clients": the sheet names it
        table = table.split(":", 1)[1]
    table = _FILE.sub("", table).rsplit(".", 1)[-1]  # "clients.csv" → "clients"; schema off
    words = [w for w in _SPLIT.split(_CAMEL.sub(" ", table)) if w]
    if not words:
        return name
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[0].upper() + text[1:]


def _from_comment(comment: str) -> str:
    """The comment when it reads like a name: one short line, no sentence after it."""
    first = comment.strip().splitlines()[0].strip() if comment.strip() else ""
    first = first.rstrip(".").strip()
    if not first or len(first.split()) > MAX_COMMENT_WORDS or ". " in first:
        return ""
    return first[0].upper() + first[1:]


def suggest_title(name: str, comment: str = "", program: str = "") -> str:
    """The title Accord proposes for a dataset: the table comment when it is short enough to
    be a name, else the table name in words; then the program, unless already in it."""
    base = _from_comment(comment) or humanise(name)
    if program.strip() and program.strip().lower() not in base.lower():
        base = f"{base}{SEPARATOR}{program.strip()}"
    return base[:300]
