"""Rule files: the default loads, a department's own works, and every error is listed at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.catalog.classifier import (
    DEFAULT_RULES,
    Classifier,
    FieldSample,
    load_rules,
    parse_rules,
)
from accord.errors import ValidationFailed

MINIMAL = """
version: 1
labels:
  PII:ssn:
    name: ['ssn']
"""


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(text, origin="dept.yaml")
    return {p.field: p.message for p in caught.value.problems}


def test_the_default_rules_load_and_cover_every_vocabulary_family() -> None:
    rules = load_rules()
    assert load_rules(DEFAULT_RULES) == rules or len(load_rules(DEFAULT_RULES).labels) == len(
        rules.labels
    )
    families = {rule.label.split(":")[0] for rule in rules.labels}
    assert families == {"PII", "PHI", "SENSITIVE"}
    assert 0 < rules.threshold < 1


def test_a_department_can_supply_its_own_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        MINIMAL + "  PII:other_id:\n    name: ['case (?:no|number)']\n    name_confidence: 0.9\n",
        encoding="utf-8",
    )
    classifier = Classifier(load_rules(path))
    found = classifier.classify(FieldSample("cases", "CaseNo"))
    assert [(s.label, s.confidence) for s in found] == [("PII:other_id", 0.9)]
    assert classifier.classify(FieldSample("cases", "birth_date")) == []


def test_bad_yaml_is_reported() -> None:
    found = problems("version: 1\nlabels: [unclosed\n")
    assert list(found) == ["dept.yaml"]
    assert "not valid YAML" in found["dept.yaml"]


def test_every_problem_is_listed_not_only_the_first() -> None:
    found = problems(
        """
version: 2
threshold: 1.5
max_values: 0
labels:
  PII:shoe_size:
    name: ['shoe']
  PII:ssn:
    name: ['ssn(']
    nmae: ['typo']
  PHI:lab:
    values:
      - {detector: no_such_detector}
      - {detector: loinc, confidence: 2}
  PHI:condition: {}
  SENSITIVE:sogi:
    context: {dataset: ['x']}
"""
    )
    assert set(found) == {
        "version",
        "threshold",
        "max_values",
        "labels.PII:shoe_size",
        "labels.PII:ssn.name[0]",
        "labels.PII:ssn.nmae",
        "labels.PHI:lab.values[0].detector",
        "labels.PHI:lab.values[1].confidence",
        "labels.PHI:condition",
        "labels.SENSITIVE:sogi.context",
    }
    assert "not a code of the classification vocabulary" in found["labels.PII:shoe_size"]
    assert "not a valid regular expression" in found["labels.PII:ssn.name[0]"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", "dept.yaml"),
        ("- a list", "dept.yaml"),
        ("version: 1\n", "labels"),
        ("version: 1\nlabels: {}\n", "labels"),
        ("version: 1\nabbreviations: [dob]\nlabels: {PII:ssn: {name: [ssn]}}\n", "abbreviations"),
        ("version: 1\nlabels: {PII:ssn: {name: []}}\n", "labels.PII:ssn.name"),
        ("version: 1\nlabels: {PII:ssn: {name: 'ssn'}}\n", "labels.PII:ssn.name"),
        (
            "version: 1\nlabels: {PII:ssn: {name: [ssn], values: {detector: ssn}}}\n",
            "labels.PII:ssn.values",
        ),
    ],
)
def test_missing_or_malformed_keys_are_reported(text: str, where: str) -> None:
    assert where in problems(text)


def test_an_unreadable_rule_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_rules(tmp_path / "missing.yaml")
    assert "cannot be read" in caught.value.problems[0].message
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(ValidationFailed):
        load_rules(bad)


def test_notes_add_caveats_to_the_reason_without_changing_confidence(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        MINIMAL
        + "    notes:\n      - {name: ['ssn last ?4'], text: partial SSNs still identify.}\n",
        encoding="utf-8",
    )
    classifier = Classifier(load_rules(path))
    [noted] = classifier.classify(FieldSample("t", "ssn_last4"))
    [plain] = classifier.classify(FieldSample("t", "ssn"))
    assert noted.reason.endswith("partial SSNs still identify.")
    assert noted.confidence == plain.confidence
    assert "notes" not in plain.reason
    assert "labels.PII:ssn.notes[0].text" in problems(
        MINIMAL + "    notes:\n      - {name: ['x']}\n"
    )


def test_default_notes_explain_zip3_and_county() -> None:
    classifier = Classifier()
    [zip3] = classifier.classify(FieldSample("person", "zip3", values=["958", "937"] * 5))
    assert "20,000" in zip3.reason
    [county] = classifier.classify(FieldSample("person", "county_fips"))
    assert "smaller than a state" in county.reason


def test_a_context_either_raises_or_lowers_and_a_factor_lowers() -> None:
    found = problems(
        """
version: 1
labels:
  PII:name:
    name: ['name']
    context:
      - {dataset: ['a'], factor: 1.5}
      - {dataset: ['b'], name: ['x'], confidence: 0.5, factor: 0.5}
      - {name: ['x'], confidence: 0.5}
      - {dataset: ['c'], confidence: 0.5}
"""
    )
    assert set(found) == {
        "labels.PII:name.context[0].factor",
        "labels.PII:name.context[1]",
        "labels.PII:name.context[2]",
        "labels.PII:name.context[3]",
    }


def test_dataset_kinds_are_validated_and_feed_the_contexts() -> None:
    found = problems(
        """
version: 1
dataset_kinds:
  - {fields: ['x']}
  - {kind: k, fields: ['y'], min_fields: 0}
  - {kind: j}
labels:
  PII:name: {name: ['name']}
"""
    )
    assert set(found) == {
        "dataset_kinds[0].kind",
        "dataset_kinds[1].min_fields",
        "dataset_kinds[2].fields",
    }
    rules = parse_rules(
        """
version: 1
dataset_kinds:
  - {kind: widgets, fields: ['widget \\w+'], min_fields: 2}
labels:
  SENSITIVE:
    context:
      - {dataset: ['widgets'], definition: ['secret'], confidence: 0.7}
"""
    )
    classifier = Classifier(rules)
    fields = [
        FieldSample("t", "widget_size"),
        FieldSample("t", "widget_colour"),
        FieldSample("t", "code", "the secret code"),
    ]
    assert classifier.classify_many(fields)[2][0].label == "SENSITIVE"
    assert classifier.classify(fields[2]) == []
