"""The per-table procedure end to end: validate, steps 2–3, masking (step 4), audit.

`release_loaded` produces the suppression pattern for every printed row with its reason,
blanks derived statistics, and runs the audit the output depends on. The steps around it live
in their own modules: `scoring.assessment` decides whether masking is needed (steps 2–3),
`masking.linked` carries the rules for linked and successive releases (§10.4 R6),
`survey.release_rules` applies a survey's reliability verdicts (§12), and
`disclosure.published` audits a table published elsewhere.
A SPEC with `percent_only` is published in the percent-only form of §10.6 instead of
suppressed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.deid.disclosure.check import (
    COMPLEMENTARY,
    HIDDEN,
    PRIMARY,
    AuditReport,
    CellInterval,
    StatusArray,
    attacker_bounds,
    reader_derivable,
    solve_intervals,
)
from accord.deid.findings import Finding, Severity
from accord.deid.masking.aggregation import PROPOSAL, proposal_finding, propose_restructuring
from accord.deid.masking.linked import earlier_findings, hidden_cells
from accord.deid.masking.percent import PercentOnlyCube, mask_cube_dimension
from accord.deid.masking.suppression import SuppressionResult, suppress_cube
from accord.deid.model.availability import NO_DATA
from accord.deid.model.cube import Cube
from accord.deid.model.groups import Groups, build_groups
from accord.deid.model.tables import LoadedTable, published_view, undescribed_columns
from accord.deid.quoting import quoted
from accord.deid.scoring.assessment import Assessment, assess_loaded
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import TableSpec
from accord.deid.survey.release_rules import UNRELIABLE, apply_survey_rules, confidentiality_cells
from accord.deid.survey.reliability import ReliabilityResult

log = logging.getLogger(__name__)
REPORT_INTERVAL_LIMIT = 1_000  # suppressed cells solved exactly for the reviewer's report
_ZERO = re.compile(r"^\s*[-+]?0*(\.0*)?\s*%?\s*$")


@dataclass
class Release:
    assessment: Assessment
    loaded: LoadedTable
    groups: Groups
    status: StatusArray
    row_status: npt.NDArray[np.int8]
    stat_blank: dict[str, npt.NDArray[np.bool_]]
    derived_rows: npt.NDArray[np.bool_]
    intervals: dict[int, CellInterval]
    audit: AuditReport
    suppression: SuppressionResult | None
    findings: list[Finding] = field(default_factory=list)
    reliability: list[ReliabilityResult | None] = field(default_factory=list)
    row_reliability: npt.NDArray[np.int8] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int8)
    )
    percent_only: PercentOnlyCube | None = None

    @property
    def params(self) -> Parameters:
        return self.assessment.spec.parameters

    @property
    def count_withheld(self) -> npt.NDArray[np.bool_]:
        """Rows whose count is blank: suppressed for disclosure, or an unreliable estimate's
        non-zero count (§12; a zero is a fact about the sample and stays, §10.2 rule 2)."""
        counts = self.loaded.cube.values[self.loaded.row_cell]
        unreliable = np.zeros(len(self.row_status), dtype=bool)
        if len(self.row_reliability):
            unreliable = (self.row_reliability == UNRELIABLE) & (counts != 0)
        return np.asarray((self.row_status > 0) | unreliable, dtype=bool)

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def refusal(self) -> list[Finding]:
        """What a blocked release tells its user: the errors, then any proposal that fixes them."""
        return [f for f in self.findings if f.severity is Severity.ERROR] + [
            f for f in self.findings if f.rule == PROPOSAL
        ]


def release_loaded(loaded: LoadedTable, spec: TableSpec, audit_intervals: bool = True) -> Release:
    """Steps 2–4 and the audit for one release; the Release's rows are what it prints.

    With `publish`, `forced` and `hidden` of `suppress_cube` carry DDG.md §10.4 R6: cells
    withheld earlier stay withheld, and the cross-tabulation behind the linked tables is
    modelled as unknown to the reader, so a total shared by two tables is one cell with one
    status in both.
    """
    undescribed = undescribed_columns(loaded.table, spec)
    loaded = published_view(loaded, spec)
    assessment = assess_loaded(loaded, spec)
    if undescribed:
        return _unsuppressed(loaded, assessment, build_groups(loaded.cube), undescribed)
    params = spec.parameters
    cube = loaded.cube
    hidden = hidden_cells(loaded)
    if not spec.margins_known:
        # no total is known: no dimension constrains anything, so no perturbation needs one
        dims = tuple(dataclasses.replace(d, inclusive=True) for d in cube.dims)
        cube = Cube(dims, cube.values, cube.row)
    groups = build_groups(cube)
    findings = [f for f in assessment.findings if f.severity is not Severity.ERROR]
    findings.extend(f for f in assessment.findings if f.severity is Severity.ERROR)
    if spec.totals == "unpublished" and params.assume_margins_public:
        findings.append(
            Finding(
                "margins-assumed-public",
                "3",
                "totals are not printed but assume_margins_public treats them as known",
                Severity.INFO,
            )
        )
    if spec.percent_only is not None:
        return _release_percent_only(loaded, spec, assessment, cube, groups, findings)
    suppression: SuppressionResult | None = None
    survey_small: npt.NDArray[np.bool_] | None = None
    if spec.survey is not None:  # §12 rule 3: the survey's own rules bind whatever the score
        no_data = None if loaded.availability is None else loaded.availability == NO_DATA
        survey_small, survey_findings = confidentiality_cells(loaded, spec.survey, no_data)
        findings.extend(survey_findings)
    if assessment.masking_required or (survey_small is not None and survey_small.any()):
        suppression = suppress_cube(
            cube,
            groups,
            params,
            forced=loaded.earlier,
            hidden=hidden,
            primary=survey_small,
            small_rule=assessment.masking_required,
            no_data=_no_data_cells(loaded),
        )
        status = suppression.status
        findings.extend(suppression.findings)
        audit = suppression.audit
        if suppression.protected:
            findings.extend(rank_check(cube, groups, status))
        elif hidden is None and loaded.earlier is None:
            findings.extend(
                proposal_finding(option, spec.recode, spec.drop)
                for option in propose_restructuring(cube, suppression, params)
                if not (option.faces and spec.drop)  # a split names tables; drop cannot join
            )
    else:
        status = np.zeros(cube.size, dtype=np.int8)
        if hidden is not None:
            status[hidden] = HIDDEN
        audit = AuditReport()
    findings.extend(earlier_findings(loaded, status))
    intervals: dict[int, CellInterval] = dict(audit.intervals)
    suppressed = np.flatnonzero((status == PRIMARY) | (status == COMPLEMENTARY))
    if audit_intervals and 0 < len(suppressed) <= REPORT_INTERVAL_LIMIT:
        bounds = attacker_bounds(cube.values, status, params)
        intervals.update(solve_intervals(cube, groups, bounds, suppressed.tolist()))
    row_status = status[loaded.row_cell]
    stat_blank, derived = _blank_statistics(loaded, spec, row_status)
    release = Release(
        assessment,
        loaded,
        groups,
        status,
        row_status,
        stat_blank,
        derived,
        intervals,
        audit,
        suppression,
        findings,
        row_reliability=np.zeros(len(row_status), dtype=np.int8),
    )
    if spec.survey is not None:
        apply_survey_rules(release, spec.survey)
    return release


def _no_data_cells(loaded: LoadedTable) -> npt.NDArray[np.bool_] | None:
    """The cells of rows with no data (§11.1 code 3), over the cube; None when there are none."""
    if loaded.availability is None or not (loaded.availability == NO_DATA).any():
        return None
    cells = np.zeros(loaded.cube.size, dtype=bool)
    cells[loaded.row_cell[loaded.availability == NO_DATA]] = True
    return cells


def rank_check(cube: Cube, groups: Groups, status: StatusArray) -> list[Finding]:
    """The independent check before anything is published (disclosure/derivable.py): no primary cell
    may be solvable from the published equations, whatever the search that chose the pattern
    believed. Its failure is a defect of this tool, reported as one."""
    withheld = int(((status == PRIMARY) | (status == COMPLEMENTARY)).sum())
    log.info("independent rank check of %d withheld cells", withheld)
    result = reader_derivable(cube, groups, status)
    if not result.complete:
        return [
            Finding(
                "rank-check-too-large",
                "10.5",
                "the independent rank check could not finish within its memory limit; the "
                "release rests on the perturbation proofs of each withheld cell alone",
                Severity.WARNING,
            )
        ]
    primary = status == PRIMARY
    solvable = np.flatnonzero(result.fixed & primary).tolist()
    if not solvable:
        return [
            Finding(
                "rank-check",
                "10.5",
                f"independent rank check: none of the {int(primary.sum())} primary cells can "
                f"be solved from the published equations ({result.unknowns} withheld or "
                f"unknown cells, {result.freedom} degrees of freedom)",
                Severity.INFO,
            )
        ]
    return [
        Finding(
            "R4-derivable",
            "10.5",
            "a reader can solve the published equations for this suppressed cell exactly; "
            "the suppression search missed it (a defect: please report it)",
            Severity.ERROR,
            cell=cube.labels(cell),
            row=int(cube.row[cell]) if cube.row[cell] >= 0 else None,
        )
        for cell in solvable
    ]


def _release_percent_only(
    loaded: LoadedTable,
    spec: TableSpec,
    assessment: Assessment,
    cube: Cube,
    groups: Groups,
    findings: list[Finding],
) -> Release:
    """§10.6: no count of the variable is published, so nothing is suppressed; the table is
    refused (error findings) when a percentage base is below `three_category_min_total`."""
    po = spec.percent_only
    assert po is not None
    masked = mask_cube_dimension(cube, po.dimension, spec.parameters, po.counts_published_elsewhere)
    findings.extend(masked.findings)
    if po.column in loaded.table.columns:
        findings.append(
            Finding(
                "bad-spec",
                "10.6",
                f"percent_only.column {quoted(po.column)} already exists in the table",
            )
        )
    if masked.allowed:
        findings.append(
            Finding(
                "percent-only-form",
                "10.6",
                f"{quoted(po.dimension)} is published as whole percentages only: counts and "
                "statistics are withheld, no cell needs suppression",
                Severity.INFO,
            )
        )
    return _unsuppressed(loaded, assessment, groups, findings, masked)


def _unsuppressed(
    loaded: LoadedTable,
    assessment: Assessment,
    groups: Groups,
    findings: list[Finding],
    percent_only: PercentOnlyCube | None = None,
) -> Release:
    """A release that withholds no cell: the percent-only form, or a refusal."""
    n_rows = loaded.table.n_rows
    return Release(
        assessment,
        loaded,
        groups,
        np.zeros(loaded.cube.size, dtype=np.int8),
        np.zeros(n_rows, dtype=np.int8),
        {},
        np.zeros(n_rows, dtype=bool),
        {},
        AuditReport(),
        None,
        findings,
        row_reliability=np.zeros(n_rows, dtype=np.int8),
        percent_only=percent_only,
    )


def _blank_statistics(
    loaded: LoadedTable, spec: TableSpec, row_status: npt.NDArray[np.int8]
) -> tuple[dict[str, npt.NDArray[np.bool_]], npt.NDArray[np.bool_]]:
    """§10.3: statistics of suppressed cells go with them; a rounded zero is shown only for a
    true zero (a count of 1..3 out of 7,500 printing as 0.0% is Example 3's leak)."""
    counts = loaded.cube.values[loaded.row_cell]
    derived = np.zeros(len(row_status), dtype=bool)
    blanks: dict[str, npt.NDArray[np.bool_]] = {}
    # a standard error or RSE of zero is not a rounded estimate of the count
    precision = {spec.survey.rse, spec.survey.se} if spec.survey is not None else set()
    for stat in spec.statistics:
        text = loaded.table.columns[stat.column]
        zero_text = np.array([bool(_ZERO.match(t)) and t.strip() != "" for t in text], dtype=bool)
        if stat.column in precision:
            zero_text[:] = False
        rounded_zero = zero_text & (counts > 0) & (row_status == 0)
        blanks[stat.column] = (row_status > 0) | rounded_zero
        derived |= rounded_zero
    return blanks, derived
