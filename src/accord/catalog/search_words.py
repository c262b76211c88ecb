"""The department's words in search: abbreviations and synonyms expand a query, and a query
that finds nothing is offered the nearest words of the index's own vocabulary.

Expansions come from two places: a built-in list of abbreviations common in health and human
services data, and the glossary (a term's acronym finds the term, and the term its acronym).
"""

from __future__ import annotations

import difflib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.catalog.models import GlossaryTerm, SearchDoc

WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_LOCK = threading.Lock()
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)

# Abbreviation -> what it stands for, as it is written in names and definitions.
ABBREVIATIONS: dict[str, str] = {
    "addr": "address",
    "adl": "activities of daily living",
    "bmi": "body mass index",
    "bp": "blood pressure",
    "calfresh": "snap",
    "cin": "client index number",
    "cws": "child welfare services",
    "dob": "date of birth",
    "dod": "date of death",
    "dos": "date of service",
    "dx": "diagnosis",
    "ed": "emergency department",
    "ein": "employer identification number",
    "fips": "federal information processing standards",
    "fname": "first name",
    "hh": "household",
    "hx": "history",
    "icd": "diagnosis code",
    "ihss": "in home supportive services",
    "lname": "last name",
    "los": "length of stay",
    "mbi": "medicare beneficiary identifier",
    "medi": "medicaid",
    "mh": "mental health",
    "mrn": "medical record number",
    "npi": "national provider identifier",
    "px": "procedure",
    "rx": "prescription",
    "snap": "supplemental nutrition assistance",
    "ssi": "supplemental security income",
    "ssn": "social security number",
    "sud": "substance use disorder",
    "tanf": "temporary assistance for needy families",
    "tx": "treatment",
    "wic": "women infants and children",
    "zip": "postal code",
}


@dataclass(frozen=True)
class Term:
    """One word of a query and what else may stand for it; any alternative matches, and an
    alternative of several words needs all of them."""

    word: str
    alternatives: tuple[tuple[str, ...], ...] = ()


def content_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in WORD.findall(text.lower()) if w not in STOP_WORDS)


def expand(session: Session, words: list[str]) -> list[Term]:
    """Each query word with its expansions (built-in abbreviations, then the glossary)."""
    glossary = _glossary_expansions(session, words)
    terms = []
    for word in words:
        found: list[tuple[str, ...]] = []
        for phrase in (ABBREVIATIONS.get(word, ""), *glossary.get(word, ())):
            alternative = content_words(phrase)
            if alternative and alternative != (word,) and alternative not in found:
                found.append(alternative)
        terms.append(Term(word, tuple(found)))
    return terms


def _glossary_expansions(session: Session, words: list[str]) -> dict[str, list[str]]:
    """A glossary acronym finds its term, and a term its acronym."""
    glossary = _glossary(session)
    return {w: glossary[w] for w in words if w in glossary}


# Each database's glossary as expansions, read again after GLOSSARY_SECONDS or when this
# process saves a term (see forget_glossary): one query less for every search.
_GLOSSARY: dict[str, tuple[float, dict[str, list[str]]]] = {}
GLOSSARY_SECONDS = 60.0


def _glossary(session: Session) -> dict[str, list[str]]:
    url = str(session.get_bind().engine.url)
    now = time.monotonic()
    with _LOCK:
        cached = _GLOSSARY.get(url)
    if cached is not None and now - cached[0] < GLOSSARY_SECONDS:
        return cached[1]
    found: dict[str, list[str]] = {}
    for acronym, term in session.execute(
        select(GlossaryTerm.acronym, GlossaryTerm.term).where(GlossaryTerm.acronym != "")
    ):
        found.setdefault(acronym.lower(), []).append(term)
        found.setdefault(term.lower(), []).append(acronym)
    with _LOCK:
        _GLOSSARY[url] = (now, found)
    return found


def forget_glossary() -> None:
    """A term was saved: read the glossary afresh at the next search."""
    with _LOCK:
        _GLOSSARY.clear()


# The vocabulary of each database's index, read again when it may have changed.
_VOCABULARY: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
VOCABULARY_SECONDS = 600.0  # a suggestion a few minutes behind the index is still good
VOCABULARY_BODIES = 20_000
MIN_SUGGESTED_LENGTH = 3


def did_you_mean(session: Session, words: list[str], audience: str) -> str:
    """The query with each word the index does not know replaced by its nearest known word,
    or "" when there is nothing better to offer. For a search that found nothing; only the
    words of the documents ``audience`` reads (a draft's words are no one else's hint)."""
    vocabulary = _vocabulary(session, audience)
    changed, better = False, []
    for word in words:
        if word in vocabulary or word in ABBREVIATIONS or len(word) < MIN_SUGGESTED_LENGTH:
            better.append(word)
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
        if close:
            changed = True
        better.append(close[0] if close else word)
    return " ".join(better) if changed else ""


def _vocabulary(session: Session, audience: str) -> frozenset[str]:
    """The words of every name, label, title and glossary term, and of the definitions and
    descriptions of the first ``VOCABULARY_BODIES`` documents: reading every definition of a
    500,000-field catalog took seven seconds, names alone take a fraction of that. Read at
    most once per ``VOCABULARY_SECONDS``, and only for searches that found nothing."""
    key = (str(session.get_bind().engine.url), audience)
    now = time.monotonic()
    with _LOCK:
        cached = _VOCABULARY.get(key)
    if cached is not None and now - cached[0] < VOCABULARY_SECONDS:
        return cached[1]
    shown = SearchDoc.audience.in_(("all", audience))
    titles = session.scalars(select(SearchDoc.title).where(shown))
    bodies = session.scalars(
        select(SearchDoc.body).where(shown).order_by(SearchDoc.id).limit(VOCABULARY_BODIES)
    )
    words = frozenset(_words_of(titles)) | frozenset(_words_of(bodies)) | frozenset(ABBREVIATIONS)
    with _LOCK:
        _VOCABULARY[key] = (now, words)
    return words


def forget_vocabulary() -> None:
    """Read the vocabulary afresh at the next suggestion (tests, after a bulk change)."""
    with _LOCK:
        _VOCABULARY.clear()
        _GLOSSARY.clear()


def _words_of(texts: Iterable[str]) -> set[str]:
    # as the index splits: "birth_date" is two words; one pass over the joined text is
    # several times faster than a pass per document
    found = set(_TOKEN.findall("\n".join(texts).lower()))
    return {w for w in found if len(w) >= MIN_SUGGESTED_LENGTH and not w.isdigit()}
