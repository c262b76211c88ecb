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
    dropped, and a phrase said twice in a row is said once (bodies indexed before parts were
    kept apart)."""
    found: list[tuple[int, str]] = []
    for line, raw in enumerate(body.split("\n")):
        text = _REPEAT.sub(r"\1", " ".join(raw.split()))
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
        return _cut(first, 0) if line == 0 else ""
    return _cut(best, _first_match(best, terms))


def _cut(text: str, at: int) -> str:
    if len(text) <= WIDTH:
        return text
    start = max(0, at - WIDTH // 4)
    return (
        ("…" if start else "")
        + text[start : start + WIDTH]
        + ("…" if start + WIDTH < len(text) else "")
    )


def _score(text: str, terms: Sequence[Term]) -> int:
    words = [w.lower() for w in _WORD.findall(text)]

    def has(prefix: str) -> bool:
        return any(w.startswith(prefix) for w in words)

    return sum(any(all(has(w) for w in way) for way in term) for term in terms)


def _first_match(text: str, terms: Sequence[Term]) -> int:
    wanted = [w for term in terms for way in term for w in way]
    for match in _WORD.finditer(text):
        if any(match.group().lower().startswith(alt) for alt in wanted):
            return match.start()
    return 0
