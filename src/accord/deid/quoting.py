"""Values from a SPEC, a table or a ScoringUnit as a finding's message quotes them: shortened.

A SPEC key, a column name, a cell or a label can be megabytes long in a crafted upload, and
every finding is stored, rendered and sent back; so a message never holds the whole of such a
value (issue 15). An ordinary value reads as before: `quoted` is its repr when that is short,
and `shown` the text itself. A long one keeps its start and end around "...", as reprlib does.

Imports nothing of the engine, so every part of `deid` can use it.
"""

from __future__ import annotations

import reprlib
from typing import Any

MAX_SHOWN = 60  # characters of one quoted value (a mapping or list: of each of its items)

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, MAX_SHOWN, MAX_SHOWN


def quoted(value: Any) -> str:
    """A value as a message quotes it: its repr, shortened (a name of a megabyte, or a mapping
    of a thousand keys, must not become a megabyte message)."""
    return _SHORT.repr(value)


def shown(text: str) -> str:
    """A name written into a message without quotes (``recode.county``), shortened alike."""
    if len(text) <= MAX_SHOWN:
        return text
    head = (MAX_SHOWN - 3) // 2
    return text[:head] + "..." + text[len(text) - (MAX_SHOWN - 3 - head) :]
