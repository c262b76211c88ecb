"""The §10.5 audit of a table already published elsewhere, rather than one this tool masked.

Nothing is suppressed here: the blanks in the table are taken as its suppression pattern, the
annotation codes say which blanks were primary, and what a reader can still work out — from
the margins and from rounded statistics printed beside a blank — is checked against the DDG.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from accord.deid.disclosure.check import (
    COMPLEMENTARY,
    PRIMARY,
    AuditReport,
    StatusArray,
    audit_pattern,
)
from accord.deid.findings import Finding
from accord.deid.masking.hypercube import Bounds
from accord.deid.model.groups import Groups, build_groups, no_groups
from accord.deid.model.tables import LoadedTable
from accord.deid.spec.spec import TableSpec


def audit_loaded(loaded: LoadedTable, spec: TableSpec) -> tuple[AuditReport, StatusArray, Groups]:
    """Audit a table published elsewhere: blanks are suppressed; annotations give reasons."""
    params = spec.parameters
    cube = loaded.cube
    groups = build_groups(cube) if spec.margins_known else no_groups(cube)
    status = np.zeros(cube.size, dtype=np.int8)
    ann = loaded.table.columns.get(spec.annotation_column)
    blank_rows = np.flatnonzero(loaded.blank)
    for i in blank_rows.tolist():
        code = ann[i].strip() if ann is not None else ""
        # code 4 (statistically unstable) withholds a count that was not small, like code 2
        status[loaded.row_cell[i]] = COMPLEMENTARY if code in ("2", "4") else PRIMARY
    if ann is None:
        params = dataclasses.replace(params, reason_disclosure="undifferentiated")
    extra = _statistic_knowledge(loaded, spec, status)
    report = audit_pattern(
        cube,
        groups,
        status,
        params,
        extra=extra,
        cells=np.flatnonzero(status > 0).tolist(),
        proofs=False,
    )
    findings = report.findings
    t = params.small_cell_threshold
    counts = cube.values[loaded.row_cell]
    for i in np.flatnonzero((counts > 0) & (counts < t)).tolist():
        findings.append(
            Finding(
                "primary-not-suppressed",
                "10.2",
                f"published value {int(counts[i])} is below {t}",
                cell=cube.labels(int(loaded.row_cell[i])),
                row=i + 1,
            )
        )
        report.failing.append(int(loaded.row_cell[i]))
    for stat in spec.statistics:
        col = loaded.table.columns[stat.column]
        for i in blank_rows.tolist():
            if col[i].strip():
                findings.append(
                    Finding(
                        "derived-not-suppressed",
                        "10.3",
                        f"{stat.column} is published for a suppressed value",
                        cell=cube.labels(int(loaded.row_cell[i])),
                        row=i + 1,
                    )
                )
                report.failing.append(int(loaded.row_cell[i]))
    return report, status, groups


def _statistic_knowledge(
    loaded: LoadedTable, spec: TableSpec, status: StatusArray
) -> Bounds | None:
    """A rounded statistic published for a suppressed cell bounds its count (§10.5)."""
    if not spec.denominator:
        return None
    n = loaded.cube.size
    lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
    dens = loaded.table.columns[spec.denominator]
    for stat in spec.statistics:
        if stat.per is None:
            continue
        col = loaded.table.columns[stat.column]
        for i, text in enumerate(col):
            cell = int(loaded.row_cell[i])
            t = text.strip().rstrip("%")
            if not t or status[cell] == 0 or not dens[i].strip():
                continue
            decimals = (
                stat.decimals
                if stat.decimals is not None
                else (len(t.split(".")[1]) if "." in t else 0)
            )
            half = 0.5 * 10 ** (-decimals)
            d = float(dens[i])
            lo = (float(t) - half) * d / stat.per
            hi = (float(t) + half) * d / stat.per
            lb[cell] = max(lb[cell], np.ceil(lo - 1e-9))
            ub[cell] = min(ub[cell], np.floor(hi - 1e-9) if hi > lo else hi)
    return Bounds(lb, ub)
