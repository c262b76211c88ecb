"""Survey reliability (§12 with §16 A15) applied to the rows of a release.

`survey` holds the reliability rules themselves; this module reads each printed row's
estimate, standard error and sample size from the table's columns and records the verdicts on
the `Release`. It runs after disclosure suppression, so it never decides a cell's privacy
status — only whether an estimate is reliable enough to print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.deid.findings import Finding, Severity
from accord.deid.spec import SurveySpec
from accord.deid.survey import ReliabilityResult, SurveyEstimate, survey_reliability
from accord.deid.tables import LoadedTable

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
