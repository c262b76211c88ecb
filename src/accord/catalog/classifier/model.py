"""What goes into the classifier, how a field's name is read, and what comes out.

The classifier is pure: a caller samples values in memory, builds ``FieldSample`` objects and
gets ``Suggestion`` objects back. Nothing here is stored; the workflow that asks a security
officer to accept or reject a suggestion lives elsewhere.

Source systems name columns ``BENE_BIRTH_DT``, ``patientDOB`` or ``ICD9_DGNS_CD_1``. Rules are
easier to write, read and review against "beneficiary birth date" or "patient date of birth",
so a name is split on case changes, digits and punctuation, lower-cased, and each token that is
a known abbreviation is replaced by its expansion (``normalise_name``), once per field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The classification codes of the catalog's vocabulary (see the 0002_catalog migration).
# Repeated here rather than imported so that the engine stays free of the database layer; a
# test keeps the two lists in step.
VOCABULARY: frozenset[str] = frozenset(
    {
        "PUBLIC",
        "PII",
        "PII:name",
        "PII:geography",
        "PII:date",
        "PII:phone",
        "PII:fax",
        "PII:email",
        "PII:ssn",
        "PII:medical_record",
        "PII:health_plan",
        "PII:account",
        "PII:license",
        "PII:vehicle",
        "PII:device",
        "PII:url",
        "PII:ip",
        "PII:biometric",
        "PII:photo",
        "PII:other_id",
        "PHI",
        "PHI:diagnosis",
        "PHI:procedure",
        "PHI:medication",
        "PHI:lab",
        "PHI:condition",
        "SENSITIVE",
        "SENSITIVE:race_ethnicity",
        "SENSITIVE:sogi",
        "SENSITIVE:immigration",
        "SENSITIVE:income",
        "SENSITIVE:benefits",
    }
)


def coarse_label(label: str) -> str:
    """The family of a code: ``PII:ssn`` -> ``pii``; used to score and to group suggestions."""
    return label.split(":", 1)[0].lower()


@dataclass(frozen=True)
class FieldSample:
    """One field to classify: where it lives, how it is described, and a few sampled values.

    ``values`` are read by the caller from the source and kept in memory only; they may hold
    anything a driver returns (str, bytes, numbers, None, dates).
    """

    dataset: str
    name: str
    definition: str = ""
    data_type: str = ""
    values: Sequence[object] = ()


@dataclass(frozen=True)
class Suggestion:
    """A proposed classification; a person decides whether it is applied.

    ``confidence`` is in [0, 1]; ``reason`` says in one sentence what the classifier saw, so a
    security officer can judge the suggestion without re-reading the source.
    """

    label: str
    confidence: float
    reason: str


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
    # A lone "s" is a possessive ("Mother's Identifier"): dropped so rules read "mother identifier".
    words = [abbreviations.get(token, token) for token in split_name(name) if token != "s"]  # noqa: S105
    return " ".join(words)
