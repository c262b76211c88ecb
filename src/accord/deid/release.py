"""The per-table procedure end to end: validate, steps 2–3, masking (step 4), audit.

`assess_loaded` answers "does this table need masking, and why"; `release_loaded` produces the
suppression pattern for every input row with its reason, blanks derived statistics, and runs
the audit the output depends on. A survey table also gets its reliability verdicts (§12); a
SPEC with `percent_only` is published in the percent-only form of §10.6 instead of suppressed.

Linked releases (§10.4 R6): with SPEC `publish` the rows are the records of the published
tables (`published_view`), the cells on no table are hidden from the reader, and steps 2–3
look at published cells only; cells an earlier release withheld (`LoadedTable.earlier`) stay
withheld.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.deid.audit import (
    COMPLEMENTARY,
    HIDDEN,
    PRIMARY,
    PUBLISHED,
    AuditReport,
    CellInterval,
    StatusArray,
    attacker_bounds,
    audit_pattern,
    solve_intervals,
)
from accord.deid.cube import Cube
from accord.deid.findings import Finding, Severity
from accord.deid.groups import Groups, build_groups, no_groups
from accord.deid.hypercube import Bounds
from accord.deid.params import Parameters
from accord.deid.percent import PercentOnlyCube, mask_cube_dimension
from accord.deid.scoring import ScoreReport, score_presentation
from accord.deid.spec import SurveySpec, TableSpec
from accord.deid.steps import Step2Result, check_numerator_denominator, masking_decision
from accord.deid.suppression import SuppressionResult, suppress_cube
from accord.deid.survey import ReliabilityResult, SurveyEstimate, survey_reliability
from accord.deid.tables import LoadedTable, published_view

REPORT_INTERVAL_LIMIT = 1_000  # suppressed cells solved exactly for the reviewer's report
MAX_SURVEY_FINDINGS = 50
RELIABLE, FLAGGED, UNRELIABLE = 0, 1, 2  # row_reliability values
_ZERO = re.compile(r"^\s*[-+]?0*(\.0*)?\s*%?\s*$")


@dataclass
class Assessment:
    spec: TableSpec
    step2: Step2Result
    scores: list[ScoreReport]
    score_total: int | None
    masking_required: bool
    findings: list[Finding] = field(default_factory=list)


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


def smallest_event(counts: npt.NDArray[np.float64], params: Parameters) -> int:
    """The Events score's smallest cell; zeros are ignored by default (§16 A3)."""
    known = counts[~np.isnan(counts)]
    if params.events_min_ignores_zero:
        known = known[known > 0]
    return int(known.min()) if len(known) else 0


def _denominators(loaded: LoadedTable, spec: TableSpec) -> list[float | None] | None:
    if not spec.denominator:
        return None
    return [float(t) if t.strip() else None for t in loaded.table.columns[spec.denominator]]


def assess_loaded(loaded: LoadedTable, spec: TableSpec) -> Assessment:
    """Steps 2–3 over the cells the release prints: every input row, or with `publish` each
    cell of the published tables once (a shared total is one cell; hidden cells are never
    shown, so they neither fail step 2 nor are the Events score's smallest cell)."""
    params = spec.parameters
    view = published_view(loaded, spec)
    _, first = np.unique(view.row_cell, return_index=True)
    once = np.sort(first)
    counts = view.cube.values[view.row_cell[once]]
    denominators = _denominators(view, spec)
    if denominators is not None:
        denominators = [denominators[i] for i in once.tolist()]
    step2 = check_numerator_denominator(counts, denominators, params)
    findings = list(step2.findings)
    scores: list[ScoreReport] = []
    total: int | None = spec.score
    if spec.scoring is not None:
        unit = dict(spec.scoring)
        if "events" not in unit:
            unit["events"] = {"min_nonzero_cell": smallest_event(counts, params)}
        if spec.high_risk:
            unit.setdefault("high_risk", True)
        scores = score_presentation(unit, params)
        for s in scores:
            findings.extend(s.findings)
        total = max(s.total for s in scores)
        if spec.score is not None and spec.score != total:
            findings.append(
                Finding(
                    "score-disagrees",
                    "7",
                    f"SPEC score {spec.score} differs from the computed {total}; "
                    "the higher is used",
                    Severity.WARNING,
                )
            )
            total = max(total, spec.score)
    any_small = step2.small_numerators > 0
    if step2.passes:
        required, notes = (
            False,
            [
                Finding(
                    "step2-passes",
                    "6",
                    "numerator and denominator conditions hold: step 5, no masking",
                    Severity.INFO,
                )
            ],
        )
    else:
        required, notes = masking_decision(total, spec.high_risk, any_small, params)
    findings.extend(notes)
    return Assessment(spec, step2, scores, total, required, findings)


def release_loaded(loaded: LoadedTable, spec: TableSpec, audit_intervals: bool = True) -> Release:
    """Steps 2–4 and the audit for one release; the Release's rows are what it prints.

    With `publish`, `forced` and `hidden` of `suppress_cube` carry DDG.md §10.4 R6: cells
    withheld earlier stay withheld, and the cross-tabulation behind the linked tables is
    modelled as unknown to the reader, so a total shared by two tables is one cell with one
    status in both.
    """
    loaded = published_view(loaded, spec)
    assessment = assess_loaded(loaded, spec)
    params = spec.parameters
    cube = loaded.cube
    hidden = None if loaded.on_faces is None else ~loaded.on_faces
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
    if assessment.masking_required:
        suppression = suppress_cube(cube, groups, params, forced=loaded.earlier, hidden=hidden)
        status = suppression.status
        findings.extend(suppression.findings)
        audit = suppression.audit
    else:
        status = np.zeros(cube.size, dtype=np.int8)
        if hidden is not None:
            status[hidden] = HIDDEN
        audit = AuditReport()
    findings.extend(_earlier_findings(loaded, status))
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
        _apply_survey_rules(release, spec.survey)
    return release


def _earlier_findings(loaded: LoadedTable, status: StatusArray) -> list[Finding]:
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
                f"percent_only.column {po.column!r} already exists in the table",
            )
        )
    if masked.allowed:
        findings.append(
            Finding(
                "percent-only-form",
                "10.6",
                f"{po.dimension!r} is published as whole percentages only: counts and "
                "statistics are withheld, no cell needs suppression",
                Severity.INFO,
            )
        )
    n_rows = loaded.table.n_rows
    return Release(
        assessment,
        loaded,
        groups,
        np.zeros(cube.size, dtype=np.int8),
        np.zeros(n_rows, dtype=np.int8),
        {},
        np.zeros(n_rows, dtype=bool),
        {},
        AuditReport(),
        None,
        findings,
        row_reliability=np.zeros(n_rows, dtype=np.int8),
        percent_only=masked,
    )


def _number(text: str) -> float | None:
    t = text.strip().rstrip("%").strip()
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        return None


def survey_estimate(
    loaded: LoadedTable, survey: SurveySpec, i: int
) -> tuple[SurveyEstimate, list[str]]:
    """Row `i`'s reliability inputs, and the columns whose text is not a number."""
    cols = loaded.table.columns
    bad: list[str] = []

    def read(column: str | None) -> float | None:
        if column is None:
            return None
        value = _number(cols[column][i])
        if value is None and cols[column][i].strip():
            bad.append(column)
        return value

    count = float(loaded.cube.values[loaded.row_cell[i]])
    numerator = read(survey.numerator) if survey.numerator else count
    denominator = read(survey.sample_size)
    estimate = read(survey.estimate)
    rse = read(survey.rse)
    if rse is None and survey.se is not None and estimate:
        se = read(survey.se)
        rse = None if se is None else abs(se / estimate) * 100
    deff = (
        read(survey.design_effect)
        if isinstance(survey.design_effect, str)
        else survey.design_effect
    )
    return (
        SurveyEstimate(
            numerator=None if numerator is None else int(numerator),
            denominator=None if denominator is None else int(denominator),
            proportion=None if estimate is None else estimate / survey.estimate_per,
            rse=rse,
            design_effect=deff,
        ),
        bad,
    )


def _apply_survey_rules(release: Release, survey: SurveySpec) -> None:
    """§12 with §16 A15: the DDG's suppression has run on unweighted respondents; now each
    published estimate meets its survey's reliability rules.

    An unreliable estimate is withheld for quality, not for privacy, so it needs no
    complementary cells. Its statistics and its non-zero count are blanked with code 4; that
    count is at least 11 (smaller counts were already suppressed as primary), hence
    publishable, and a reader who derives it from the margins learns nothing the DDG
    protects. A zero count stays 0 (§10.2 rule 2); only its estimate is withheld. The
    disclosure audit treats such a row as published, which can only overstate what a reader
    knows. Rows already suppressed for disclosure keep their code and
    get no verdict: saying that a complementary cell failed a numerator test would narrow its
    value.
    """
    loaded = release.loaded
    verdicts: list[ReliabilityResult | None] = []
    problems: list[Finding] = []
    for i in range(loaded.table.n_rows):
        if release.row_status[i] > 0:
            verdicts.append(None)
            continue
        estimate, bad = survey_estimate(loaded, survey, i)
        cell = loaded.cube.labels(int(loaded.row_cell[i]))
        for column in bad:
            problems.append(
                Finding(
                    "bad-survey-value",
                    "12",
                    f"{column} {loaded.table.columns[column][i]!r} is not a number",
                    cell=cell,
                    row=i + 1,
                )
            )
        verdict = survey_reliability(estimate, survey.profile)
        if verdict.missing and not bad:
            problems.append(
                Finding(
                    "survey-input-missing",
                    "12",
                    f"no {', '.join(verdict.missing)} for this estimate: treated as unreliable",
                    Severity.WARNING,
                    cell=cell,
                    row=i + 1,
                )
            )
        verdicts.append(verdict)
        if verdict.outcome == "suppress":
            release.row_reliability[i] = UNRELIABLE
            for mask in release.stat_blank.values():
                mask[i] = True
        elif verdict.outcome == "flag":
            release.row_reliability[i] = FLAGGED
    if len(problems) > MAX_SURVEY_FINDINGS:
        extra = len(problems) - MAX_SURVEY_FINDINGS
        problems = problems[:MAX_SURVEY_FINDINGS]
        problems.append(
            Finding("more-problems", "12", f"... and {extra} more survey problems", Severity.INFO)
        )
    release.reliability = verdicts
    release.findings.extend(problems)
    flagged = int((release.row_reliability == FLAGGED).sum())
    withheld = int((release.row_reliability == UNRELIABLE).sum())
    release.findings.append(
        Finding(
            "survey-reliability",
            "12",
            f"{survey.profile.name} reliability rules: {withheld} estimate(s) withheld and "
            f"{flagged} flagged as statistically unstable (annotation 4); the < "
            f"{release.params.small_cell_threshold} rule was applied to unweighted respondents "
            "(§16 A15)",
            Severity.INFO,
        )
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
