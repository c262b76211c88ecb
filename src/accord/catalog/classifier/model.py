"""What goes into the classifier and what comes out of it.

The classifier is pure: a caller samples values in memory, builds ``FieldSample`` objects and
gets ``Suggestion`` objects back. Nothing here is stored; the workflow that asks a security
officer to accept or reject a suggestion lives elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
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
