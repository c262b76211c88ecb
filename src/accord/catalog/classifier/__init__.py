"""Suggests PII / PHI / sensitive classifications for catalog fields (Play 6).

Pure: no database, no web. Callers sample values in memory, classify, and hand the
suggestions to a person who accepts or rejects each one; nothing here applies a
classification.
"""

from accord.catalog.classifier.engine import Classifier
from accord.catalog.classifier.model import VOCABULARY, FieldSample, Suggestion, coarse_label
from accord.catalog.classifier.rules import DEFAULT_RULES, RuleSet, load_rules, parse_rules
from accord.catalog.classifier.values import sample_texts

__all__ = [
    "DEFAULT_RULES",
    "VOCABULARY",
    "Classifier",
    "FieldSample",
    "RuleSet",
    "Suggestion",
    "coarse_label",
    "load_rules",
    "parse_rules",
    "sample_texts",
]
