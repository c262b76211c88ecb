"""Hints for better definitions, after the guidebook's advice on data element definitions:
say what the element is, in one concept, without restating its name, without defining it by
itself, without rationale or usage, with units for amounts, durations and measures, and with
acronyms a reader can look up."""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|\d+")
WORD = re.compile(r"[A-Za-z]+")
ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")
USAGE = re.compile(
    r"\b(used (to|for|in|by)|in order to|so that|for the purpose of|allows?|helps?|"
    r"we use|is needed (to|for))\b",
    re.IGNORECASE,
)
MEASURE_WORDS = {
    "amount",
    "amt",
    "cost",
    "price",
    "paid",
    "payment",
    "income",
    "balance",
    "fee",
    "charge",
    "total",
    "duration",
    "minutes",
    "hours",
    "days",
    "length",
    "distance",
    "weight",
    "height",
    "bmi",
    "age",
    "rate",
    "percent",
    "pct",
    "dose",
    "a1c",
    "measurement",
    "level",
    "speed",
    "temperature",
    "volume",
    "km",
    "miles",
}
UNITS = re.compile(
    r"(\$|%|\b(dollars?|cents?|usd|days?|hours?|minutes?|seconds?|weeks?|months?|years?|"
    r"kilomet(re|er)s?|km|miles?|met(re|er)s?|cm|mm|kg|kilograms?|lbs?|pounds?|grams?|mg|"
    r"mg/dl|mmol/l|ppm|ppb|µg/m3|ug/m3|percent(age)?|ratio|count of|number of|kg/m2|"
    r"degrees?|fahrenheit|celsius|units?)\b)",
    re.IGNORECASE,
)
WELL_KNOWN = frozenset({"US", "USA", "ID", "UTC", "ISO", "ZIP"})
STOP = {
    "the",
    "a",
    "an",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "is",
    "was",
    "and",
    "or",
    "this",
    "that",
    "which",
    "its",
    "their",
    "as",
}


@dataclass(frozen=True)
class Hint:
    rule: str
    message: str


def _tokens(name: str) -> set[str]:
    return {t.lower() for t in TOKEN.findall(name.replace("_", " "))}


def definition_hints(
    name: str,
    definition: str,
    *,
    label: str = "",
    data_type: str = "",
    glossary_acronyms: frozenset[str] = frozenset(),
) -> list[Hint]:
    """Every hint that applies; an empty list means the definition follows the guidance."""
    text = definition.strip()
    if not text:
        return [Hint("empty", "Write a definition: what this element is, in a sentence.")]
    hints = []
    words = [w.lower() for w in WORD.findall(text)]
    content = [w for w in words if w not in STOP]
    name_words = _tokens(name) | _tokens(label)
    if content and set(content) <= name_words:
        hints.append(Hint("restates_name", "It restates the name; say what the element is."))
    elif name and re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) and "_" in name:
        hints.append(Hint("circular", f"It defines {name} by itself; describe it in other words."))
    if USAGE.search(text):
        hints.append(Hint("usage", "State what it is, not why or how it is used."))
    measured = name_words & MEASURE_WORDS or (
        data_type.lower().startswith(("numeric", "decimal", "real", "float", "double"))
        and name_words & {"value", "score", "result"}
    )
    if measured and not UNITS.search(text):
        hints.append(Hint("units", "State the unit (for example dollars, days or kilometres)."))
    known = glossary_acronyms | WELL_KNOWN
    unknown = sorted({a for a in ACRONYM.findall(definition) if a not in known})
    if unknown:
        hints.append(
            Hint(
                "acronyms",
                f"Add {', '.join(unknown)} to the glossary or spell "
                f"{'it' if len(unknown) == 1 else 'them'} out.",
            )
        )
    if len(text) > 600:
        hints.append(Hint("long", "Keep it to one concept; move background to the dataset."))
    return hints
