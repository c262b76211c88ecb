"""The assessment page in plain words: what steps 2 and 3 found and decided.

The engine's assessment document (``assess_document``) records each decision as a finding
with its rule and DDG section. The page says what happened in words, and keeps the rules,
the sections and the technical notes for the reviewer in a section of their own, as the
release report does (``deid_report_body.html``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.deid.findings import Severity

# Step 3's decision, by the rule of the finding that records it (scoring.steps
# .masking_decision, scoring.assessment.assess_loaded), in the page's words.
DECISIONS = {
    "step2-passes": "Step 2 passed, so the score decides nothing: the table can be published "
    "as it is.",
    "high-risk-population": "The table is about a high-risk population, so values from 1 to 10 "
    "people are withheld whatever the score.",
    "no-score": "Without a score, values from 1 to 10 people are withheld: the cautious choice "
    "when the score is not known.",
    "score-without-small-cells": "The score requires masking, but no value comes from 1 to 10 "
    "people: an expert must decide whether to combine categories or split the table.",
    "score-releasable": "The score is low enough that nothing has to be withheld because of it "
    "(an expert may still choose to).",
}
MASKED_BY_SCORE = "The score is high enough that values from 1 to 10 people must be withheld."

# a section reference in brackets: "(§7.7, DDG 16.2.5)", "(DDG 4.1)", "(DDG.md §1 rule 2)"
_REFERENCE = re.compile(r"\s*\((?:DDG(?:\.md)?\s*§?|§)[^()]*\)")


def in_words(text: str) -> str:
    """``text`` without its bracketed guideline references (the reviewer's details keep them)."""
    return _REFERENCE.sub("", text).strip()


def assessment_context(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the assessment page shows besides the document itself: ``scores`` (each scored
    table's name and total), ``decision`` (what step 3 decided, in words), ``reviews`` (per
    score report, why an expert must look, without the sections) and ``attention`` (the
    other findings a person must look at, in words). The findings with their rules and
    sections stay in ``doc`` for the reviewer's details."""
    findings = doc["findings"]
    reports = doc["score_reports"]
    decided = next((f["rule"] for f in findings if f["rule"] in DECISIONS), None)
    if decided is not None:
        decision = DECISIONS[decided]
    else:
        decision = MASKED_BY_SCORE if doc["masking_required"] else ""
    return {
        "scores": [
            (r.get("name") or f"table {i}", r["total"]) for i, r in enumerate(reports, start=1)
        ],
        "decision": decision,
        "reviews": [[in_words(why) for why in r["expert_review_required"]] for r in reports],
        "attention": [
            in_words(f["message"])
            for f in findings
            if f["severity"] != Severity.INFO and f["rule"] not in DECISIONS
        ],
    }
