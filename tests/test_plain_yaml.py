"""YAML from outside is read with limits: no aliases, a depth and a size bound."""

from __future__ import annotations

import pytest

from accord.plain_yaml import MAX_DEPTH, RefusedYaml, load


def test_plain_yaml_reads_as_safe_loading_does() -> None:
    assert load("title: T\ndimensions: [a, b]\nwide: {total: Total}\n") == {
        "title": "T", "dimensions": ["a", "b"], "wide": {"total": "Total"}}
    assert load("a: &x 1\n") == {"a": 1}  # an anchor no one refers to is harmless


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("a: &x [1, 2]\nb: *x\n", "line 2: YAML aliases"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than 64"),
        ("a: " + "x" * 2_000, "larger than 1,000 bytes"),
    ],
)
def test_what_is_refused(text: str, refusal: str) -> None:
    with pytest.raises(RefusedYaml, match=refusal):
        load(text, max_bytes=1_000)
