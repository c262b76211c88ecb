"""The assessment page says what happened in plain words (issue 12 item 5): no "not scored",
and the guideline references and technical notes only in the reviewer's details."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from accord.config import Settings
from accord.web.pages.deid.assessment import in_words
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

DESCRIBED = "dimensions: [county, age]\ncount: n\nstatistics: [rate]\n"
NO_SCORE = DESCRIBED
# two tables of one presentation, each scored on its own (DDG §7.1): no single SPEC score
PER_TABLE = (
    DESCRIBED
    + """scoring:
  presentation: independent
  units:
    - name: by county
      events: {min_nonzero_cell: 3}
      time: {period: year}
      geography: {basis: residence, min_population: 1163}
    - name: by age
      events: {min_nonzero_cell: 3}
      time: {period: year}
      geography: {basis: residence, min_population: 39000000}
      variables: [{type: language, scheme: detailed, groups: [{name: Navajo}]}]
"""
)
REVIEWER = '<h2 id="reviewer-heading">'


def _assess(settings: Settings, client: TestClient, spec: str) -> tuple[str, str]:
    """The assessment page of COUNTY_AGE_CSV under ``spec``: its main text, and the
    reviewer's details (everything from their heading on)."""
    make_user(settings, "sam", "steward")
    sign_in(client, "sam")
    response = client.post(
        "/deid",
        data={"csrf_token": csrf_of(client, "/deid"), "step": "assess"},
        files=[
            ("table", ("visits.csv", COUNTY_AGE_CSV.encode(), "text/csv")),
            ("spec", ("spec.yaml", spec.encode(), "application/yaml")),
        ],
    )
    assert response.status_code == 200, response.text
    page = html.unescape(response.text)
    assert page.count(REVIEWER) == 1
    main, details = page.split(REVIEWER)
    assert "<details>" in details
    return main, details


def _plain(main: str) -> None:
    for technical in ("not scored", "§16", "degrees of freedom", "denominator-condition"):
        assert technical not in main, technical


def test_an_assessment_with_no_score_says_so_in_words(
    settings: Settings, app_client: TestClient
) -> None:
    main, details = _assess(settings, app_client, NO_SCORE)
    _plain(main)
    assert "No score was given</strong>: the SPEC has neither" in main
    assert "Without a score, values from 1 to 10 people are withheld" in main
    assert "The SPEC gives the score directly" not in main  # it gave none
    # the unknown populations are told in the step-2 table; their §16 choices for the reviewer
    assert re.search(r"Populations not known</th><td class=\"num\">12<", main)
    assert "(denominator-condition, DDG §6, §16 A1, §16 A13)" in details
    assert "(no-score, DDG §7)" in details


def test_an_assessment_scored_table_by_table_names_each_score(
    settings: Settings, app_client: TestClient
) -> None:
    main, details = _assess(settings, app_client, PER_TABLE)
    _plain(main)
    scores = re.search(r"Each table of the presentation is scored on its own: (.*?)</p>", main)
    assert scores, main
    said = re.sub(r"</?strong>", "", scores.group(1))
    match = re.fullmatch(
        r"“by county” scores (\d+) and “by age” scores (\d+)\. The score that counts is "
        r"(\d+), the highest\. .+",
        said,
    )
    assert match, said
    county, age, counts = (int(n) for n in match.groups())
    assert counts == max(county, age)
    # an expert must look at the detailed language: said in words, its sections kept apart
    assert "Needs an expert's review: detailed language." in main
    assert "detailed language (§7.7, DDG 16.2.5)" in details


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("detailed language (§7.7, DDG 16.2.5)", "detailed language"),
        ("population implies age (DDG 4.1)", "population implies age"),
        ("review is required (DDG.md §1 rule 2)", "review is required"),
        ("3 cells (of 12) were withheld", "3 cells (of 12) were withheld"),
    ],
)
def test_in_words_drops_only_the_bracketed_references(text: str, words: str) -> None:
    assert in_words(text) == words
