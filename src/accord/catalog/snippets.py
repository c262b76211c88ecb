"""The text shown under a search result: the part of a document that best matches the query,
once. A document's body is made of parts (definition, dataset title, program, system, …)
that often repeat each other ("Your Environment" / "Your Environment enrollment system")."""

from __future__ import annotations

import re
from collections.abc import Sequence

WIDTH = 240
_REPEAT = re.compile(r"\b(\w+(?:\s+\w+){0,5}?)(?:\s+\1\b)+", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


# A query term: the ways it may be written, each a group of words that must all appear (as
# prefixes): [["dob"], ["date", "birth"]].
Term = Sequence[Sequence[str]]


def parts(body: str) -> list[tuple[int, str]]:
    """The body's parts with their line, without repeats: a part contained in another is
    dropped."""
    found: list[tuple[int, str]] = []
    for line, raw in enumerate(body.split("\n")):
        text = " ".join(raw.split())
        if text:
            found.append((line, text))
    lowered = [text.lower() for _, text in found]
    return [
        (line, text)
        for i, (line, text) in enumerate(found)
        if not any(
            j != i and lowered[i] in lowered[j] and (lowered[i] != lowered[j] or j < i)
            for j in range(len(found))
        )
    ]


def best_snippet(body: str, terms: Sequence[Term], skip: str = "") -> str:
    """The part matching most query terms, cut around the first match. When no part
    matches, the body's first line (a definition or description) if it has one, else nothing:
    a data type or a tag alone says little. ``skip`` is a part not worth showing (the
    dataset's title, shown beside a field anyway)."""
    candidates = [(line, p) for line, p in parts(body) if p.lower() != skip.lower()]
    if not candidates:
        return ""
    score, _, best = max((_score(p, terms), -i, p) for i, (_, p) in enumerate(candidates))
    if not score:
        line, first = candidates[0]
        return _cut(first, 0, legacy="\n" not in body) if line == 0 else ""
    return _cut(best, _first_match(best, terms), legacy="\n" not in body)


def _cut(text: str, at: int, *, legacy: bool = False) -> str:
    """At most ``WIDTH`` characters around ``at``. A ``legacy`` body, indexed before its parts
    were kept apart on lines, ran them together: a phrase said twice in a row is then said
    once (only in the window shown, and only there: the pattern costs a tenth of a
    millisecond a hit, and the next reindex writes the body in parts)."""
    first = max(0, at - WIDTH)
    window = text[first : at + 2 * WIDTH]
    if legacy:
        window = _REPEAT.sub(r"\1", window)
    before, after = first > 0, at + 2 * WIDTH < len(text)
    if len(window) <= WIDTH and not before and not after:
        return window
    start = max(0, min(at - first, len(window)) - WIDTH // 4)
    shown = window[start : start + WIDTH]
    return (
        ("…" if before or start else "")
        + shown
        + ("…" if after or start + WIDTH < len(window) else "")
    )


def _score(text: str, terms: Sequence[Term]) -> int:
    # " word word …": a word starts with a prefix (of word characters) where " prefix" is
    # found, one search in C instead of a test of each word
    words = " " + " ".join(_WORD.findall(text)).lower()

    def has(prefix: str) -> bool:
        return " " + prefix in words

    return sum(any(all(has(w) for w in way) for way in term) for term in terms)


def _first_match(text: str, terms: Sequence[Term]) -> int:
    wanted = [w for term in terms for way in term for w in way]
    for match in _WORD.finditer(text):
        if any(match.group().lower().startswith(alt) for alt in wanted):
            return match.start()
    return 0
