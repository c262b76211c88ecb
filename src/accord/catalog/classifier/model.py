"""What goes into the classifier, how a field's name is read, and what comes out.

The classifier is pure: a caller samples values in memory, builds ``FieldSample`` objects and
gets ``Suggestion`` objects back. Nothing here is stored; the workflow that asks a security
officer to accept or reject a suggestion lives elsewhere.

Source systems name columns ``BENE_BIRTH_DT``, ``patientDOB`` or ``ICD9_DGNS_CD_1``. Rules are
easier to write, read and review against "beneficiary birth date" or "patient date of birth",
so a name is split on case changes, digits and punctuation, lower-cased, and each token that is
a known abbreviation is replaced by its expansion (``normalise_name``), once per field. A token
that is several known words run together (``hospitaladmitsource``) is split into them first
(``Segmenter``), since unseen schemas write compounds without separators; a token that can only
be one known word with vowels dropped or cut short (T-MSIS ``elgblty``, NYTD ``Incarc``) is read
as that word (``Segmenter.expand``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The classification codes of the catalog's vocabulary (see the 0002_catalog migration).
# Repeated here rather than imported so that the engine stays free of the database layer; a
# test keeps the two lists in step.
VOCABULARY: frozenset[str] = frozenset(
    {
        "PUBLIC",
        "PII",
        "PII:name",
        "PII:geography",
        "PII:date",
        "PII:phone",
        "PII:fax",
        "PII:email",
        "PII:ssn",
        "PII:medical_record",
        "PII:health_plan",
        "PII:account",
        "PII:license",
        "PII:vehicle",
        "PII:device",
        "PII:url",
        "PII:ip",
        "PII:biometric",
        "PII:photo",
        "PII:other_id",
        "PHI",
        "PHI:diagnosis",
        "PHI:procedure",
        "PHI:medication",
        "PHI:lab",
        "PHI:condition",
        "SENSITIVE",
        "SENSITIVE:race_ethnicity",
        "SENSITIVE:sogi",
        "SENSITIVE:immigration",
        "SENSITIVE:income",
        "SENSITIVE:benefits",
    }
)


def coarse_label(label: str) -> str:
    """The family of a code: ``PII:ssn`` -> ``pii``; used to score and to group suggestions."""
    return label.split(":", 1)[0].lower()


@dataclass(frozen=True)
class FieldSample:
    """One field to classify: where it lives, how it is described, and a few sampled values.

    ``values`` are read by the caller from the source and kept in memory only; they may hold
    anything a driver returns (str, bytes, numbers, None, dates).
    """

    dataset: str
    name: str
    definition: str = ""
    data_type: str = ""
    values: Sequence[object] = ()


@dataclass(frozen=True)
class Suggestion:
    """A proposed classification; a person decides whether it is applied.

    ``confidence`` is in [0, 1]; ``reason`` says in one sentence what the classifier saw, so a
    security officer can judge the suggestion without re-reading the source.
    """

    label: str
    confidence: float
    reason: str


# Runs of capitals followed by a capitalised word ("HTTPServer" -> "HTTP", "Server"), words,
# capital runs and digit runs. Anything else (underscores, dots, spaces, dashes) separates.
_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_name(name: str) -> list[str]:
    """Split a column name into lower-case tokens."""
    return [token.lower() for token in _TOKEN.findall(name)]


def normalise_name(
    name: str, abbreviations: Mapping[str, str], words: Segmenter | None = None
) -> str:
    """The name as words with abbreviations expanded, e.g. ``mbrDOB`` -> "member date of birth".

    Unknown tokens are kept as they are, so a rule can still match the raw abbreviation; with
    ``words``, an unknown token that is several known words run together
    (``hospitaladmitsource``) is split into them first, as rules are written for words.
    """
    out: list[str] = []
    for token in split_name(name):
        # A lone "s" is a possessive ("Mother's Identifier"): dropped so rules read "mother
        # identifier".
        if token == "s":  # noqa: S105
            continue
        expansion = abbreviations.get(token)
        if expansion is not None:
            out.append(expansion)
        elif words is not None and (pieces := words.split(token)):
            out.extend(abbreviations.get(piece, piece) for piece in pieces)
        elif words is not None and (word := words.expand(token)):
            out.append(abbreviations.get(word, word))
        else:
            out.append(token)
    return _ORDINAL.sub(_ordinal, " ".join(out))


# "BENE_1ST_NAME" splits into "1 st name": an ordinal before a word reads as the word.
_ORDINAL = re.compile(r"\b([123]) (st|nd|rd)\b")
_ORDINALS = {"1": "first", "2": "second", "3": "third"}


def _ordinal(match: re.Match[str]) -> str:
    return _ORDINALS[match.group(1)]


class Segmenter:
    """Splits a token of run-together words (``drugname``) into known words, or not at all.

    Many schemas (eICU, OpenEMR, i2b2) write compounds without separators, which hides every
    word from rules that match words. A token is split only when it is wholly covered by
    known words (fewest pieces win), so an unknown word is never cut into fragments. Results
    are memoised per token: a harvest repeats the same names.
    """

    def __init__(self, words: frozenset[str], shortest: int = 6) -> None:
        self.words = words
        self.shortest = shortest
        self._longest = max((len(w) for w in words), default=0)
        self._memo: dict[str, tuple[str, ...]] = {}
        self._skeletons = _skeleton_index(words)
        by_first: dict[str, list[str]] = defaultdict(list)
        for word in sorted(words):
            by_first[word[:2]].append(word)
        self._by_first = {start: tuple(found) for start, found in by_first.items()}
        self._expand_memo: dict[str, str] = {}

    def expand(self, token: str) -> str:
        """The known word ``token`` is a contraction of, or ``""``.

        Claims, eligibility and survey files shorten words in two regular ways that no list of
        abbreviations keeps up with: dropping the vowels after the first letter (CMS T-MSIS
        ``elgblty``, ``dsblty``, ``ctznshp``, ``wvr``) and cutting a word short (NYTD
        ``Incarc``, ``Prescrip``). A token is read as a word only when exactly one known word
        fits (or every fitting word continues the same way past the token), so an unknown
        code (``pwgtp``) stays as it is.
        """
        found = self._expand_memo.get(token)
        if found is None:
            found = self._expand(token)
            if len(self._expand_memo) >= 50_000:
                self._expand_memo.clear()
            self._expand_memo[token] = found
        return found

    def _expand(self, token: str) -> str:
        if len(token) < 3 or not token.isalpha() or token in self.words:
            return ""
        if not _VOWELS.intersection(token[1:]):
            return self._skeletons.get(token, "") if len(token) >= 4 else ""
        if len(token) < 5:
            return ""
        # Some vowels dropped, not all (NYTD ``Outcm``, ``Mentl``, ``Delinqnt``): the letters
        # that are not vowels must still spell the word's, four of them at least.
        for form in _forms(token):
            if len(form) >= 4 and (word := self._skeletons.get(form)):
                return word
        # A word cut short: the token is 40% to 70% of the word's start ("origin" is a word
        # of its own, not "original" cut short).
        fits = [
            w
            for w in self._by_first.get(token[:2], ())
            if w.startswith(token) and 0.4 * len(w) <= len(token) <= 0.7 * len(w)
        ]
        if len(fits) == 1:
            return fits[0]
        if fits and len(_common_prefix(fits)) > len(token):
            return min(fits, key=lambda w: (len(w), w))
        return ""

    def split(self, token: str) -> tuple[str, ...]:
        """The known words ``token`` is made of (two at least), or ``()``."""
        found = self._memo.get(token)
        if found is None:
            found = self._split(token)
            if len(self._memo) >= 50_000:
                self._memo.clear()
            self._memo[token] = found
        return found

    def _split(self, token: str) -> tuple[str, ...]:
        if len(token) < self.shortest or token in self.words or not token.isalpha():
            return ()
        n = len(token)
        # best[i]: fewest words covering token[:i], as the list of cut points
        best: list[list[int] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - self._longest), end):
                before = best[start]
                if before is None or token[start:end] not in self.words:
                    continue
                if best[end] is None or len(before) + 1 < len(best[end] or ()):
                    best[end] = [*before, end]
        cuts = best[n]
        if cuts is None or len(cuts) < 2:
            return ()
        starts = [0, *cuts[:-1]]
        return tuple(token[a:b] for a, b in zip(starts, cuts, strict=True))


_VOWELS = frozenset("aeiou")


def _skeleton_index(words: frozenset[str]) -> dict[str, str]:
    """Vowel-dropped forms of four letters or more of each word, mapped to the word.

    Three-letter forms are left out: they are as often codes of their own (``drg`` is not
    "drug").

    ``eligibility`` gives ``elgblty``; doubled letters are also collapsed before and after the
    vowels go (``beginning``: ``bgnng`` and ``bgng``), as both are written. A form that two
    words share is left out: it could mean either.
    """
    index: dict[str, str] = {}
    clash: set[str] = set()
    for word in sorted(words):
        if len(word) < 4 or not word.isalpha() or not _VOWELS.intersection(word[1:]):
            continue  # too short to contract, or a short form already ("acct")
        for form in _forms(word):
            if len(form) < 4 or form == word or form in words:
                continue
            if index.get(form, word) != word:
                clash.add(form)
            index[form] = word
    for form in clash:
        del index[form]
    return index


def _forms(word: str) -> set[str]:
    """``word`` without the vowels after its first letter, doubled letters collapsed or not."""
    forms: set[str] = set()
    for base in (word, _collapse(word)):
        bare = base[0] + "".join(c for c in base[1:] if c not in _VOWELS)
        forms.update((bare, _collapse(bare)))
    return forms


def _collapse(text: str) -> str:
    """``text`` with each run of one repeated letter written once (``ll`` -> ``l``)."""
    return "".join(c for i, c in enumerate(text) if i == 0 or c != text[i - 1])


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return first[:i]
