"""De-identification of aggregate tables under the CalHHS DDG Edition 2.0 (docs: DDG.md).

Pure functions over tables: no database, no web. The release procedure, the publication scoring
criteria, primary and complementary suppression, and the disclosure audit live here, one
folder per part of the guidelines:

    spec/        the SPEC and the department's parameters (§3, §15)
    model/       long tables, dimension trees, cubes, additive groups (§2)
    scoring/     steps 1–3: personal characteristics, numerator–denominator, scoring (§5–§9, §R)
    masking/     step 4: suppression, perturbations, recoding, percentages, linked tables (§10)
    disclosure/  the disclosure audit: what a reader can still work out (§10.5)
    survey/      survey reliability and confidentiality rules (§12)
    io/          input files, the released tables and the reviewer's report (§11)

At the top: `release` (the procedure end to end, §4), `attestation` (steps 5–6, §13),
`findings` (typed findings, §15), `records` (record-level helpers, §1) and `warmup`.
"""

from accord.deid.findings import DeidError, Finding, Severity
from accord.deid.scoring.scoring import ScoreReport, score_table
from accord.deid.spec.params import Parameters

__all__ = ["DeidError", "Finding", "Parameters", "ScoreReport", "Severity", "score_table"]
