"""A survey's own rules (§12 with §16 A15) applied to the rows of a release.

`reliability` holds the rules themselves; this module reads each printed row's estimate, standard
error, sample size and weighted count from the table's columns. `confidentiality_cells` runs
before suppression: the cells the survey's own confidentiality rules call small (§12 rule 3)
become primary suppressions. `apply_survey_rules` runs after it and records the reliability
verdicts on the `Release`: it never decides a cell's privacy status — only whether an
estimate is reliable enough to print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from accord.deid.findings import Finding, Severity
from accord.deid.model.availability import NO_DATA
from accord.deid.model.tables import LoadedTable
from accord.deid.quoting import quoted, shown
from accord.deid.spec.spec import SurveySpec
from accord.deid.survey.reliability import ReliabilityResult, SurveyEstimate, survey_reliability

if TYPE_CHECKING:
    # release imports this module at run time to apply the rules; the name is for mypy only
    from accord.deid.release import Release

MAX_SURVEY_FINDINGS = 50
RELIABLE, FLAGGED, UNRELIABLE = 0, 1, 2  # Release.row_reliability values


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


WITHHOLD, KEEP = "withhold", "keep"


def _judgement(loaded: LoadedTable, survey: SurveySpec, i: int) -> str:
    """The reviewer's judgement on row `i`'s estimate ("" when none is recorded)."""
    if survey.review is None:
        return ""
    return loaded.table.columns[survey.review][i].strip().lower()


def _capped(problems: list[Finding], what: str) -> list[Finding]:
    if len(problems) <= MAX_SURVEY_FINDINGS:
        return problems
    extra = len(problems) - MAX_SURVEY_FINDINGS
    return [
        *problems[:MAX_SURVEY_FINDINGS],
        Finding("more-problems", "12", f"... and {extra} more {what}", Severity.INFO),
    ]


def confidentiality_cells(
    loaded: LoadedTable, survey: SurveySpec, skip: npt.NDArray[np.bool_] | None = None
) -> tuple[npt.NDArray[np.bool_], list[Finding]]:
    """The cells the survey's own confidentiality rules call small (§12 rule 3), as a mask
    over the cube, and what was found on the way.

    Such a cell is withheld whatever the publication score, as a primary suppression with
    complements, so that the audit and complementary suppression cover it (CHIS: "complementary
    suppression in cross-tabs"). A zero is never small. A rule whose input the SPEC does not
    name (a weighted threshold without `survey.weighted`) cannot be applied: that is a warning,
    once, and the unweighted rules still apply. `review` rules (MEPS recodes) withhold nothing:
    each cell they name is a warning for a person. Rows in `skip` (no data available, §11.1)
    have nothing to withhold.
    """
    cells = np.zeros(loaded.cube.size, dtype=bool)
    rules = survey.profile.rules
    findings: list[Finding] = []
    if not rules:
        return cells, findings
    unread = {r for r in rules if r.check == "weighted_below" and survey.weighted is None}
    for rule in sorted(unread, key=lambda r: r.describe()):
        findings.append(
            Finding(
                "survey-input-missing",
                "12",
                f"{survey.profile.name}'s rule '{rule.describe()}' needs the weighted count: "
                "name its column in survey.weighted; it was not applied",
                Severity.WARNING,
            )
        )
    withheld: list[Finding] = []
    review: list[Finding] = []
    cols = loaded.table.columns
    for i in range(loaded.table.n_rows):
        if skip is not None and skip[i]:
            continue
        estimate, _ = survey_estimate(loaded, survey, i)
        weighted = _number(cols[survey.weighted][i]) if survey.weighted else None
        value = {
            "numerator": estimate.numerator,
            "denominator": estimate.denominator,
            "weighted": weighted,
        }
        cell = int(loaded.row_cell[i])
        for rule in rules:
            if rule in unread:
                continue
            small = rule.small(estimate.numerator, value[rule.input()])
            if small is None and rule.action == "suppress" and estimate.numerator != 0:
                small = True  # a cell whose size cannot be read is not shown to be large
            if not small:
                continue
            labels = loaded.cube.labels(cell)
            if rule.action == "review":
                review.append(
                    Finding(
                        "survey-rule-review",
                        "12",
                        f"{survey.profile.name}: {rule.describe()}; the survey recodes such "
                        "categories: combine this one before release",
                        Severity.WARNING,
                        cell=labels,
                        row=i + 1,
                    )
                )
            elif not cells[cell]:
                cells[cell] = True
                withheld.append(
                    Finding(
                        "survey-confidentiality",
                        "12",
                        f"small under {survey.profile.name}'s own rule ({rule.describe()}): "
                        "withheld whatever the score, with complements (§12 rule 3)",
                        Severity.INFO,
                        cell=labels,
                        row=i + 1,
                    )
                )
    findings.extend(_capped(withheld, "cells withheld under the survey's own rules"))
    findings.extend(_capped(review, "cells for the survey's recode rule"))
    return cells, findings


def apply_survey_rules(release: Release, survey: SurveySpec) -> None:
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

    A `review` verdict (CHIS RSE above 20% on an estimate marked `stratified: false`) keeps
    the value, flagged as unstable (code 4), and asks a reviewer whether it is misleading: the
    DDG leaves that judgement to a person. The reviewer records it in the SPEC's `review`
    column, `withhold` (withheld as unreliable) or `keep` (published, flagged), and the
    release's findings say which it was; until then the estimate waits, published flagged,
    with a warning saying how to record the judgement.
    """
    loaded = release.loaded
    verdicts: list[ReliabilityResult | None] = []
    problems: list[Finding] = []
    reviews: list[Finding] = []
    no_data = loaded.availability == NO_DATA if loaded.availability is not None else None
    for i in range(loaded.table.n_rows):
        if release.row_status[i] > 0 or (no_data is not None and no_data[i]):
            verdicts.append(None)  # no data: no estimate to judge (§11.1 code 3)
            continue
        estimate, bad = survey_estimate(loaded, survey, i)
        cell = loaded.cube.labels(int(loaded.row_cell[i]))
        for column in bad:
            problems.append(
                Finding(
                    "bad-survey-value",
                    "12",
                    f"{shown(column)} {quoted(loaded.table.columns[column][i])} is not a number",
                    cell=cell,
                    row=i + 1,
                )
            )
        verdict = survey_reliability(estimate, survey.profile, survey.stratified)
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
        if verdict.outcome != "review" and _judgement(loaded, survey, i):
            problems.append(
                Finding(
                    "survey-review-unasked",
                    "12",
                    f"a judgement in column {quoted(survey.review)} on an estimate that needs no "
                    "review: ignored",
                    Severity.WARNING,
                    cell=cell,
                    row=i + 1,
                )
            )
        if verdict.outcome == "suppress":
            release.row_reliability[i] = UNRELIABLE
            for mask in release.stat_blank.values():
                mask[i] = True
        elif verdict.outcome == "flag":
            release.row_reliability[i] = FLAGGED
        elif verdict.outcome == "review":
            judged = _judgement(loaded, survey, i)
            failed = f"{survey.profile.name}: {'; '.join(verdict.failed)}"
            if judged == WITHHOLD:
                release.row_reliability[i] = UNRELIABLE
                for mask in release.stat_blank.values():
                    mask[i] = True
                reviews.append(
                    Finding(
                        "survey-review-withheld",
                        "12",
                        f"{failed}; the reviewer judged the estimate misleading: withheld",
                        Severity.INFO,
                        cell=cell,
                        row=i + 1,
                    )
                )
                continue
            release.row_reliability[i] = FLAGGED
            if judged == KEEP:
                message = f"{failed}; the reviewer judged the estimate not misleading: published"
                reviews.append(
                    Finding(
                        "survey-review-kept", "12", message, Severity.INFO, cell=cell, row=i + 1
                    )
                )
                continue
            how = (
                f"mark it {WITHHOLD} or {KEEP} in column {quoted(survey.review)}"
                if survey.review
                else "name a column for the judgements (survey: {review: <column>}) and mark "
                f"it {WITHHOLD} or {KEEP} there"
            )
            if judged:
                problems.append(
                    Finding(
                        "bad-survey-value",
                        "12",
                        f"{shown(survey.review or '')} {quoted(judged)} is neither "
                        f"{WITHHOLD} nor {KEEP}",
                        cell=cell,
                        row=i + 1,
                    )
                )
            reviews.append(
                Finding(
                    "survey-misleading-review",
                    "12",
                    f"{failed} on a statewide or non-stratified county-wide estimate: published, "
                    f"flagged as unstable, until a reviewer judges whether it is misleading: {how}",
                    Severity.WARNING,
                    cell=cell,
                    row=i + 1,
                )
            )
    if len(problems) > MAX_SURVEY_FINDINGS:
        extra = len(problems) - MAX_SURVEY_FINDINGS
        problems = problems[:MAX_SURVEY_FINDINGS]
        problems.append(
            Finding("more-problems", "12", f"... and {extra} more survey problems", Severity.INFO)
        )
    release.reliability = verdicts
    release.findings.extend(problems)
    release.findings.extend(_capped(reviews, "estimates for review"))
    pending = sum(f.rule == "survey-misleading-review" for f in reviews)
    flagged = int((release.row_reliability == FLAGGED).sum())
    withheld = int((release.row_reliability == UNRELIABLE).sum())
    release.findings.append(
        Finding(
            "survey-reliability",
            "12",
            f"{survey.profile.name} reliability rules: {withheld} estimate(s) withheld and "
            f"{flagged} flagged as statistically unstable (annotation 4), {pending} of "
            "them waiting for a reviewer's judgement; the < "
            f"{release.params.small_cell_threshold} rule was applied to unweighted respondents "
            "(§16 A15)",
            Severity.INFO,
        )
    )
