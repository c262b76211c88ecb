"""Rule files: the department-editable part of the classifier, checked before it is used.

A rule file is YAML (see ``rules.yaml`` beside this module for the default and its comments).
Loading either returns a complete, compiled ``RuleSet`` or raises ``ValidationFailed`` listing
every problem found, so a department never runs with half of its rules silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from accord import plain_yaml
from accord.catalog.classifier.detectors import DETECTORS
from accord.catalog.classifier.model import VOCABULARY, Segmenter
from accord.errors import Problem, ValidationFailed

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")

_TOP_KEYS = {
    "version",
    "threshold",
    "min_confidence",
    "max_values",
    "min_values",
    "reference_datasets",
    "reference_factor",
    "value_only_factor",
    "abbreviations",
    "words",
    "dataset_kinds",
    "clinical_records",
    "labels",
}
_LABEL_KEYS = {
    "name",
    "name_confidence",
    "name_weak",
    "name_weak_confidence",
    "definition",
    "definition_confidence",
    "unless",
    "values",
    "mismatch_factor",
    "context",
    "notes",
}
_NOTE_KEYS = {"name", "text"}
_EVIDENCE_KEYS = ("name", "name_weak", "definition", "values", "context")
_VALUE_KEYS = {"detector", "confidence", "min_share", "invalid_confidence"}
_CONTEXT_KEYS = {"dataset", "name", "definition", "confidence", "factor", "reason"}
_KIND_KEYS = {"kind", "fields", "min_fields", "unless_fields"}
_CLINICAL_KEYS = {
    "datasets",
    "named_min_phi_fields",
    "unless_datasets",
    "min_phi_fields",
    "min_phi_share",
    "date_confidence",
    "field_confidence",
    "not_clinical",
    "not_clinical_definition",
}


@dataclass(frozen=True)
class ValueCheck:
    """Evidence from sampled values: share of values a detector accepts, and its weight."""

    detector: str
    confidence: float
    min_share: float
    invalid_confidence: float


@dataclass(frozen=True)
class ContextRule:
    """What the dataset a field belongs to says about one label.

    A raising context (``confidence``) adds evidence when the dataset and the field's name
    both match: a "start date" column in an encounters table dates a clinical event. A
    lowering context (``factor``) multiplies the label's confidence when the dataset matches
    (and the name, if a name pattern is given): a care site's address is an organisation's.
    """

    dataset: re.Pattern[str]
    name: re.Pattern[str] | None
    confidence: float
    factor: float
    reason: str
    # A context also applies when the field's definition matches this: a federal file's
    # element named ``Counsel`` is titled "Counseling services".
    definition: re.Pattern[str] | None = None

    @property
    def raises(self) -> bool:
        return self.factor >= 1.0


@dataclass(frozen=True)
class LabelRule:
    """How one vocabulary code is recognised; patterns are compiled alternations."""

    label: str
    name: re.Pattern[str] | None
    name_confidence: float
    name_weak: re.Pattern[str] | None
    name_weak_confidence: float
    definition: re.Pattern[str] | None
    definition_confidence: float
    unless: re.Pattern[str] | None
    values: tuple[ValueCheck, ...]
    mismatch_factor: float
    contexts: tuple[ContextRule, ...]
    notes: tuple[tuple[re.Pattern[str], str], ...] = ()


@dataclass(frozen=True)
class DatasetKind:
    """What a dataset is, read from its fields when its own name does not say.

    A file called ``child_file`` whose fields speak of maltreatment, removals and perpetrators
    is a child-welfare file; a ``Customers`` table with a company-name field and no person's
    name holds organisations. When at least ``min_fields`` of a dataset's fields (names or
    definitions) match ``fields`` and none matches ``unless_fields``, ``kind`` is added to the
    names that the rules' context ``dataset`` patterns are matched against.
    """

    kind: str
    fields: re.Pattern[str]
    min_fields: int
    unless_fields: re.Pattern[str] | None


@dataclass(frozen=True)
class ClinicalRecords:
    """When a whole dataset is a clinical record about people, and what that says of its fields.

    Names alone miss most of a clinical record: a nursing-home assessment's ``B0100_CMTS_CD``
    ("Comatose") or an EMS report's ``eVitals.03`` carry no health word, yet CLASSIFICATION.md
    counts what a person's health is, and the date of a clinical event, as PHI. The dataset
    tells: its name (or a kind inferred from its fields) matches ``datasets``, or at least
    ``min_phi_fields`` of its fields, and ``min_phi_share`` of them, are confidently PHI on
    their own; one matching ``unless_datasets`` (a child-welfare or justice file, a code list)
    is not read so. In such a dataset a date already read as a person's (``PII:date``) dates a
    clinical event and gets PHI at ``date_confidence``; a field with no confident suggestion
    at all gets PHI at ``field_confidence`` unless its name matches ``not_clinical`` or its
    definition ``not_clinical_definition`` (keys, provenance, units, costs, organisations,
    demographics the policy leaves out, system timestamps).
    """

    datasets: re.Pattern[str] | None
    named_min_phi_fields: int
    unless_datasets: re.Pattern[str] | None
    min_phi_fields: int
    min_phi_share: float
    date_confidence: float
    field_confidence: float
    not_clinical: re.Pattern[str] | None
    not_clinical_definition: re.Pattern[str] | None


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file."""

    threshold: float
    min_confidence: float
    max_values: int
    min_values: int
    reference_datasets: re.Pattern[str] | None
    reference_factor: float
    value_only_factor: float
    abbreviations: Mapping[str, str]
    labels: tuple[LabelRule, ...]
    dataset_kinds: tuple[DatasetKind, ...] = ()
    clinical_records: ClinicalRecords | None = None
    # Splits run-together names ("hospitaladmitsource") into the words rules are written for.
    words: Segmenter | None = None


class _Reader:
    """Collects problems while reading, so every problem in a file is reported at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(field=where, message=message))

    def keys(self, where: str, data: object, allowed: set[str]) -> Mapping[str, object]:
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping of keys to values")
            return {}
        for key in data:
            if key not in allowed:
                path = f"{where}.{key}" if where else str(key)
                self.problem(path, f"unknown key; allowed: {', '.join(sorted(allowed))}")
        return data

    def number(self, where: str, data: object, default: float, high: float = 1.0) -> float:
        if data is None:
            return default
        if isinstance(data, bool) or not isinstance(data, int | float) or not 0 <= data <= high:
            self.problem(where, f"must be a number between 0 and {high:g}")
            return default
        return float(data)

    def pattern(self, where: str, data: object) -> re.Pattern[str] | None:
        """Compile a list of regexes into one alternation wrapped in word boundaries."""
        if data is None:
            return None
        if not isinstance(data, list) or not data:
            self.problem(where, "must be a non-empty list of regular expressions")
            return None
        parts: list[str] = []
        for i, item in enumerate(data):
            if not isinstance(item, str) or not item:
                self.problem(f"{where}[{i}]", "must be a non-empty string")
                continue
            try:
                re.compile(item)
            except re.error as exc:
                self.problem(f"{where}[{i}]", f"is not a valid regular expression: {exc}")
                continue
            parts.append(_lower_pattern(item))
        if not parts or len(parts) != len(data):
            return None
        # One alternation inside one pair of word boundaries, matched against lower-cased
        # text: IGNORECASE and per-branch boundaries make the regex engine several times slower.
        return re.compile(rf"\b(?:{'|'.join(parts)})\b")


def _lower_pattern(pattern: str) -> str:
    """Lower-case a pattern's literal letters but not its escapes (``\\D`` stays ``\\D``)."""
    return re.sub(
        r"\\.|[A-Z]", lambda m: m.group(0) if len(m.group(0)) == 2 else m.group(0).lower(), pattern
    )


def _read_label(reader: _Reader, label: str, data: object) -> LabelRule | None:
    where = f"labels.{label}"
    if label not in VOCABULARY:
        reader.problem(where, "is not a code of the classification vocabulary")
    spec = reader.keys(where, data, _LABEL_KEYS)
    values: list[ValueCheck] = []
    raw_values = spec.get("values", [])
    if not isinstance(raw_values, list):
        reader.problem(f"{where}.values", "must be a list of value checks")
        raw_values = []
    for i, raw in enumerate(raw_values):
        vwhere = f"{where}.values[{i}]"
        check = reader.keys(vwhere, raw, _VALUE_KEYS)
        detector = check.get("detector")
        if not isinstance(detector, str) or detector not in DETECTORS:
            reader.problem(f"{vwhere}.detector", f"must be one of: {', '.join(sorted(DETECTORS))}")
            continue
        confidence = reader.number(f"{vwhere}.confidence", check.get("confidence"), 0.8)
        values.append(
            ValueCheck(
                detector=detector,
                confidence=confidence,
                min_share=reader.number(f"{vwhere}.min_share", check.get("min_share"), 0.6),
                invalid_confidence=reader.number(
                    f"{vwhere}.invalid_confidence", check.get("invalid_confidence"), confidence / 2
                ),
            )
        )
    rule = LabelRule(
        label=label,
        name=reader.pattern(f"{where}.name", spec.get("name")),
        name_confidence=reader.number(f"{where}.name_confidence", spec.get("name_confidence"), 0.8),
        name_weak=reader.pattern(f"{where}.name_weak", spec.get("name_weak")),
        name_weak_confidence=reader.number(
            f"{where}.name_weak_confidence", spec.get("name_weak_confidence"), 0.45
        ),
        definition=reader.pattern(f"{where}.definition", spec.get("definition")),
        definition_confidence=reader.number(
            f"{where}.definition_confidence", spec.get("definition_confidence"), 0.7
        ),
        unless=reader.pattern(f"{where}.unless", spec.get("unless")),
        values=tuple(values),
        mismatch_factor=reader.number(f"{where}.mismatch_factor", spec.get("mismatch_factor"), 1.0),
        contexts=_read_contexts(reader, f"{where}.context", spec.get("context", [])),
        notes=_read_notes(reader, f"{where}.notes", spec.get("notes", [])),
    )
    if isinstance(data, dict) and not any(key in data for key in _EVIDENCE_KEYS):
        reader.problem(where, "needs at least one of 'name', 'definition', 'values' or 'context'")
    return rule


def _read_contexts(reader: _Reader, where: str, data: object) -> tuple[ContextRule, ...]:
    """One context mapping or a list of them; each raises (confidence) or lowers (factor)."""
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        reader.problem(where, "must be a context mapping or a list of them")
        return ()
    contexts: list[ContextRule] = []
    for i, raw in enumerate(items):
        cwhere = f"{where}[{i}]" if isinstance(data, list) else where
        spec = reader.keys(cwhere, raw, _CONTEXT_KEYS)
        if not spec:
            continue
        lowers = "factor" in spec
        if "dataset" not in spec or (
            not lowers and "name" not in spec and "definition" not in spec
        ):
            reader.problem(
                cwhere, "needs 'dataset' and 'name' (or 'definition') patterns, or a 'factor'"
            )
            continue
        if lowers and "confidence" in spec:
            reader.problem(cwhere, "either raises (confidence) or lowers (factor), not both")
        dataset = reader.pattern(f"{cwhere}.dataset", spec.get("dataset"))
        name = reader.pattern(f"{cwhere}.name", spec.get("name"))
        definition = reader.pattern(f"{cwhere}.definition", spec.get("definition"))
        factor = reader.number(f"{cwhere}.factor", spec.get("factor"), 1.0)
        if lowers and factor >= 1.0:
            reader.problem(f"{cwhere}.factor", "must be below 1 (a factor lowers a confidence)")
        reason = spec.get("reason", "")
        if not isinstance(reason, str):
            reader.problem(f"{cwhere}.reason", "must be a sentence")
            reason = ""
        if dataset is not None:
            contexts.append(
                ContextRule(
                    dataset=dataset,
                    name=name,
                    confidence=reader.number(f"{cwhere}.confidence", spec.get("confidence"), 0.6),
                    factor=factor if lowers else 1.0,
                    reason=reason.strip(),
                    definition=definition,
                )
            )
    return tuple(contexts)


def _read_kinds(reader: _Reader, data: object) -> tuple[DatasetKind, ...]:
    """The ``dataset_kinds`` list: kinds of dataset recognised from their fields."""
    if data is None:
        return ()
    if not isinstance(data, list):
        reader.problem("dataset_kinds", "must be a list of {kind, fields, min_fields}")
        return ()
    kinds: list[DatasetKind] = []
    for i, raw in enumerate(data):
        where = f"dataset_kinds[{i}]"
        spec = reader.keys(where, raw, _KIND_KEYS)
        kind = spec.get("kind")
        if not isinstance(kind, str) or not kind.strip():
            reader.problem(f"{where}.kind", "must be a short name such as 'child welfare'")
            continue
        fields = reader.pattern(f"{where}.fields", spec.get("fields"))
        if fields is None:
            if "fields" not in spec:
                reader.problem(f"{where}.fields", "is required")
            continue
        minimum = spec.get("min_fields", 2)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
            reader.problem(f"{where}.min_fields", "must be a positive whole number")
            minimum = 2
        unless = reader.pattern(f"{where}.unless_fields", spec.get("unless_fields"))
        kinds.append(DatasetKind(kind.strip().lower(), fields, minimum, unless))
    return tuple(kinds)


def _read_clinical(reader: _Reader, data: object) -> ClinicalRecords | None:
    """The ``clinical_records`` mapping: when a dataset's context makes its fields PHI."""
    if data is None:
        return None
    spec = reader.keys("clinical_records", data, _CLINICAL_KEYS)
    if not spec:
        return None
    where = "clinical_records."
    counts: dict[str, int] = {}
    for key, default in (("min_phi_fields", 3), ("named_min_phi_fields", 1)):
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            reader.problem(where + key, "must be a whole number, 0 or more")
            value = default
        counts[key] = value
    return ClinicalRecords(
        datasets=reader.pattern(where + "datasets", spec.get("datasets")),
        named_min_phi_fields=counts["named_min_phi_fields"],
        unless_datasets=reader.pattern(where + "unless_datasets", spec.get("unless_datasets")),
        min_phi_fields=counts["min_phi_fields"],
        min_phi_share=reader.number(where + "min_phi_share", spec.get("min_phi_share"), 0.2),
        date_confidence=reader.number(where + "date_confidence", spec.get("date_confidence"), 0.6),
        field_confidence=reader.number(
            where + "field_confidence", spec.get("field_confidence"), 0.55
        ),
        not_clinical=reader.pattern(where + "not_clinical", spec.get("not_clinical")),
        not_clinical_definition=reader.pattern(
            where + "not_clinical_definition", spec.get("not_clinical_definition")
        ),
    )


def _read_notes(
    reader: _Reader, where: str, data: object
) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Caveats added to a suggestion's reason when the name matches (e.g. ZIP-3 rules)."""
    if not isinstance(data, list):
        reader.problem(where, "must be a list of {name: [patterns], text: sentence}")
        return ()
    notes: list[tuple[re.Pattern[str], str]] = []
    for i, raw in enumerate(data):
        note = reader.keys(f"{where}[{i}]", raw, _NOTE_KEYS)
        pattern = reader.pattern(f"{where}[{i}].name", note.get("name"))
        text = note.get("text")
        if not isinstance(text, str) or not text.strip():
            reader.problem(f"{where}[{i}].text", "must be a sentence")
        elif pattern is not None:
            notes.append((pattern, text.strip()))
    return tuple(notes)


def _read_words(
    reader: _Reader, data: object, abbreviations: Mapping[str, str]
) -> Segmenter | None:
    """The ``words`` list: known words that run-together names are split into.

    Abbreviations of three letters or more and one-word expansions count as known words too,
    so ``admitdiag`` splits into "admit" and "diag" and then reads "admit diagnosis".
    """
    if data is None:
        return None
    if not isinstance(data, list) or not all(
        isinstance(w, str) and w.isalpha() and len(w) >= 2 for w in data
    ):
        reader.problem("words", "must be a list of words (letters only, two at least)")
        return None
    known = {w.lower() for w in data}
    # Two-letter abbreviations would cut real words ("report|ed", "off|end|er"); the list
    # names the short words it wants.
    known.update(k for k in abbreviations if k.isalpha() and len(k) >= 3)
    known.update(v for v in abbreviations.values() if v.isalpha())
    return Segmenter(frozenset(known))


def parse_rules(text: str, origin: str = "rules") -> RuleSet:
    """Validate and compile rule-file text; raise ``ValidationFailed`` listing every problem."""
    reader = _Reader()
    try:
        data = plain_yaml.load(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise ValidationFailed(
            [Problem(field=origin, message=f"is not valid YAML: {exc}")],
            f"The classifier rule file {origin} could not be read.",
        ) from exc
    if not isinstance(data, dict):
        reader.problem(origin, "must be a mapping with 'version' and 'labels'")
    top = reader.keys("", data, _TOP_KEYS) if isinstance(data, dict) else {}
    if top and top.get("version") != 1:
        reader.problem("version", "must be 1")
    abbreviations: dict[str, str] = {}
    raw_abbr = top.get("abbreviations", {})
    if not isinstance(raw_abbr, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw_abbr.items()
    ):
        reader.problem("abbreviations", "must map short tokens to their expansions")
    else:
        abbreviations = {k.lower(): v.lower() for k, v in raw_abbr.items()}
    words = _read_words(reader, top.get("words"), abbreviations)
    raw_labels = top.get("labels")
    labels: list[LabelRule] = []
    if not isinstance(raw_labels, dict) or not raw_labels:
        reader.problem("labels", "must map vocabulary codes to their rules")
    else:
        for label, spec in raw_labels.items():
            rule = _read_label(reader, str(label), spec)
            if rule is not None:
                labels.append(rule)
    max_values = top.get("max_values", 50)
    min_values = top.get("min_values", 5)
    for key, value in (("max_values", max_values), ("min_values", min_values)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            reader.problem(key, "must be a positive whole number")
    ruleset = RuleSet(
        threshold=reader.number("threshold", top.get("threshold"), 0.5),
        min_confidence=reader.number("min_confidence", top.get("min_confidence"), 0.2),
        max_values=max_values if isinstance(max_values, int) else 50,
        min_values=min_values if isinstance(min_values, int) else 5,
        reference_datasets=reader.pattern("reference_datasets", top.get("reference_datasets")),
        reference_factor=reader.number("reference_factor", top.get("reference_factor"), 0.4),
        value_only_factor=reader.number("value_only_factor", top.get("value_only_factor"), 0.6),
        abbreviations=abbreviations,
        labels=tuple(labels),
        dataset_kinds=_read_kinds(reader, top.get("dataset_kinds")),
        clinical_records=_read_clinical(reader, top.get("clinical_records")),
        words=words,
    )
    if reader.problems:
        raise ValidationFailed(reader.problems, f"The classifier rule file {origin} has errors.")
    return ruleset


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read a rule file (the default one when ``path`` is None) and validate all of it."""
    source = Path(path) if path is not None else DEFAULT_RULES
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            [Problem(field=str(source), message=f"cannot be read: {exc}")],
            f"The classifier rule file {source} could not be read.",
        ) from exc
    return parse_rules(text, origin=source.name)
