"""Field and dataset names turned into plain words, once per field.

Source systems name columns ``BENE_BIRTH_DT``, ``patientDOB`` or ``ICD9_DGNS_CD_1``. Rules are
easier to write, read and review against "bene birth date" or "patient date of birth", so a
name is split on case changes, digits and punctuation, lower-cased, and each token that is a
known abbreviation is replaced by its expansion. The result is a single space-separated string
so one compiled alternation per label can be searched in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Runs of capitals followed by a capitalised word ("HTTPServer" -> "HTTP", "Server"), words,
# capital runs and digit runs. Anything else (underscores, dots, spaces, dashes) separates.
_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_name(name: str) -> list[str]:
    """Split a column name into lower-case tokens."""
    return [token.lower() for token in _TOKEN.findall(name)]


def normalise_name(name: str, abbreviations: Mapping[str, str]) -> str:
    """The name as words with abbreviations expanded, e.g. ``mbrDOB`` -> "member date of birth".

    Unknown tokens are kept as they are, so a rule can still match the raw abbreviation.
    """
    words = [abbreviations.get(token, token) for token in split_name(name)]
    return " ".join(words)
