"""Typed findings: every decision and every data problem names the rule and the DDG section.

The engine never raises on bad data; it collects findings so a reviewer sees the whole list at
once (DDG.md §15: "problems are returned as lists of typed findings").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """`error` blocks a release; `warning` needs a reviewer's eye; `info` is a recorded decision."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem or decision, tied to the rule and the DDG.md section that caused it.

    ``message`` is said in plain words, for whoever reads it first; the sections are kept
    apart from it (``section``, and ``see_also`` for further sections the decision rests on,
    such as the project's choices of §16) so a page can show them to the reviewer only.
    """

    rule: str
    section: str
    message: str
    severity: Severity = Severity.ERROR
    cell: Mapping[str, str] | None = None
    row: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    see_also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "section": self.section,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.cell is not None:
            out["cell"] = dict(self.cell)
        if self.row is not None:
            out["row"] = self.row
        if self.details:
            out["details"] = dict(self.details)
        if self.see_also:
            out["see_also"] = list(self.see_also)
        return out

    def __str__(self) -> str:
        where = f" (row {self.row})" if self.row is not None else ""
        if self.cell:
            where += " [" + ", ".join(f"{k}={v}" for k, v in self.cell.items()) + "]"
        sections = "".join(f", §{s}" for s in self.see_also)
        return (
            f"[{self.severity.value}] {self.rule} §{self.section}{sections}{where}: {self.message}"
        )


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def shortened(findings: list[Finding], limit: int) -> tuple[list[Finding], str | None]:
    """The first `limit` findings and a line counting the rest by rule: a refused table of
    650,000 cells can have tens of thousands, and nobody reads past the first screen."""
    if len(findings) <= limit:
        return findings, None
    rest = Counter(f.rule for f in findings[limit:])
    kinds = ", ".join(f"{n:,} {rule}" for rule, n in rest.most_common())
    return findings[:limit], f"… and {len(findings) - limit:,} more ({kinds})"


class DeidError(Exception):
    """Raised only at the edges (CLI, file loading) to carry a list of blocking findings."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("; ".join(str(f) for f in findings))
