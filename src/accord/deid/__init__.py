"""De-identification of aggregate tables under the CalHHS DDG Edition 2.0 (docs: DDG.md).

Pure functions over tables: no database, no web. The release procedure, the publication scoring
criteria, primary and complementary suppression, and the disclosure audit live here.
"""

from accord.deid.findings import DeidError, Finding, Severity
from accord.deid.params import Parameters
from accord.deid.scoring import ScoreReport, score_table

__all__ = ["DeidError", "Finding", "Parameters", "ScoreReport", "Severity", "score_table"]
