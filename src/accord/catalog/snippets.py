"""The text shown under a search result: the part of a document that best matches the query,
once. A document's body is made of parts (definition, dataset title, program, system, …)
that often repeat each other ("Your Environment" / "Your Environment enrollment system")."""

from __future__ import annotations

import re
from collections.abc import Sequence

WIDTH = 240
_REPEAT = re.compile(r"\b(\w+(?:\s+\w+){0,5}?)(?:\s+\1\b)+", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


def parts(body: str) -> list[str]:
    """The body's parts, without repeats: a part contained in another is dropped, and a phrase
    said twice in a row is said once (bodies indexed before parts were kept apart)."""
    found: list[str] = []
    for line in body.split("\n"):
        text = _REPEAT.sub(r"\1", " ".join(line.split()))
        if text:
            found.append(text)
    lowered = [p.lower() for p in found]
    kept = []
    for i, text in enumerate(found):
        contained = any(
            j != i and lowered[i] in lowered[j] and (lowered[i] != lowered[j] or j < i)
            for j in range(len(found))
        )
        if not contained:
            kept.append(text)
    return kept


def best_snippet(body: str, terms: Sequence[Sequence[str]], skip: str = "") -> str:
    """The part matching most query terms (each term: its word and the words that may stand
    for it, as prefixes), cut around the first match; the first part when none matches.
    ``skip`` is a part not worth showing (the dataset title, shown beside a field anyway)."""
    candidates = [p for p in parts(body) if p.lower() != skip.lower()]
    if not candidates:
        return ""
    scored = [(_score(p, terms), -i, p) for i, p in enumerate(candidates)]
    score, _, best = max(scored)
    if len(best) <= WIDTH:
        return best
    start = _first_match(best, terms) if score else 0
    start = max(0, start - WIDTH // 4)
    cut = best[start : start + WIDTH]
    return ("…" if start else "") + cut + ("…" if start + WIDTH < len(best) else "")


def _score(text: str, terms: Sequence[Sequence[str]]) -> int:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(any(w.startswith(alt) for alt in term for w in words) for term in terms)


def _first_match(text: str, terms: Sequence[Sequence[str]]) -> int:
    wanted = [alt for term in terms for alt in term]
    for match in _WORD.finditer(text):
        if any(match.group().lower().startswith(alt) for alt in wanted):
            return match.start()
    return 0
