"""Search snippets: the best-matching part of a document, once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.catalog.snippets import WIDTH, best_snippet, parts

DATASET = "\nYour Environment\nYour Environment enrollment system\nYour Environment program office"


def test_a_part_inside_another_is_shown_once() -> None:
    assert [p for _, p in parts(DATASET)] == [
        "Your Environment enrollment system",
        "Your Environment program office",
    ]


def test_a_body_indexed_before_parts_says_a_repeated_phrase_once() -> None:
    old = "Your Environment Your Environment enrollment system"
    assert best_snippet(old, [[("enrollment",)]]) == "Your Environment enrollment system"


def test_the_part_matching_most_terms_is_chosen() -> None:
    assert best_snippet(DATASET, [[("office",)]]) == "Your Environment program office"
    assert best_snippet(DATASET, [[("enrol",)]]) == "Your Environment enrollment system"


def test_an_abbreviation_matches_only_with_all_its_words() -> None:
    body = "Day the person was born.\nPerson\nDATE"
    dob = [[("dob",), ("date", "birth")]]
    # "DATE" alone is not "date of birth": the definition, the first line, is shown
    assert best_snippet(body, dob, skip="Person") == "Day the person was born."
    assert best_snippet("\nPerson\nDATE", dob, skip="Person") == ""


def test_a_long_part_is_cut_around_the_match() -> None:
    body = (
        " ".join(f"w{i}" for i in range(200)) + " needle " + " ".join(f"v{i}" for i in range(200))
    )
    shown = best_snippet(body, [[("needle",)]])
    assert "needle" in shown and shown.startswith("…") and shown.endswith("…")
    assert len(shown) <= WIDTH + 2


@given(st.text(max_size=400), st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), max_size=3))
def test_any_body_gives_a_bounded_snippet(body: str, words: list[str]) -> None:
    shown = best_snippet(body, [[(w,)] for w in words])
    assert len(shown) <= WIDTH + 2
    assert "\n" not in shown
