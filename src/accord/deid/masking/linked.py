"""Linked and successive releases (DDG.md §10.4 R6), as far as the release step sees them.

`tables.published_view` builds the linked view; here is what a release does with it: the
cells on no published table are hidden from the reader's model, and cells an earlier related
release withheld are reported on, because publishing one of them now is safe only if the two
releases together disclose nothing — a judgement left to the expert.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from accord.deid.disclosure.check import PUBLISHED, StatusArray
from accord.deid.findings import Finding, Severity
from accord.deid.model.tables import LoadedTable


def hidden_cells(loaded: LoadedTable) -> npt.NDArray[np.bool_] | None:
    """The cells of a linked view printed on no table, or None when every cell is printed."""
    return None if loaded.on_faces is None else ~loaded.on_faces


def earlier_findings(loaded: LoadedTable, status: StatusArray) -> list[Finding]:
    """What became of the cells an earlier release withheld (§10.4 R6)."""
    if loaded.earlier is None:
        return []
    shown = loaded.earlier if loaded.on_faces is None else loaded.earlier & loaded.on_faces
    kept = int((shown & (status != PUBLISHED)).sum())
    found = [
        Finding(
            "previously-suppressed",
            "10.4",
            f"{int(shown.sum())} printed cell(s) were withheld in the earlier release; "
            f"{kept} stay withheld",
            Severity.INFO,
        )
    ]
    published = shown & (status == PUBLISHED)
    if published.any():
        zero = published & (np.nan_to_num(loaded.cube.values) == 0)
        found.append(
            Finding(
                "previously-suppressed-published",
                "10.4",
                f"{int(published.sum())} cell(s) withheld in the earlier release are published "
                f"now ({int(zero.sum())} of them zero, which is never withheld; the rest because "
                "this table needs no masking): the expert should confirm that the two releases "
                "together disclose nothing",
                Severity.WARNING,
            )
        )
    return found
