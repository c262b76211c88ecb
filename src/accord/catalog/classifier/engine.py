"""The classifier: names, definitions and sampled values in, ranked suggestions out.

Evidence for a label comes from up to four places: the field name (tokenised and with
abbreviations expanded), the definition, the dataset and name together (a "value" column in a
lab table), and the share of sampled values a detector accepts. Each piece carries a
confidence from the rule file and they are combined as independent evidence (noisy-or), so two
weak signals that agree beat one. Values that clearly do not fit (an "ssn_verified" column of
Y/N flags) weaken name evidence instead of being ignored.

Throughput matters because a harvest classifies tens of thousands of fields at once: names are
tokenised once per field, each label's name patterns are one compiled alternation, values are
joined and scanned once per detector that any rule uses, and at most ``max_values`` values are
looked at per field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from accord.catalog.classifier.detectors import DETECTORS
from accord.catalog.classifier.model import FieldSample, Suggestion
from accord.catalog.classifier.rules import LabelRule, RuleSet, ValueCheck, load_rules
from accord.catalog.classifier.tokens import normalise_name


def sample_texts(values: Sequence[object], limit: int) -> list[str]:
    """Non-empty text forms of up to ``limit`` sampled values; odd values are skipped.

    Bytes are decoded as UTF-8 with replacement (drivers hand back raw bytes for some types);
    booleans, NaN and anything that is not text, a number or a date carry no format to detect.
    Line breaks inside a value become spaces, because detectors see one value per line.
    """
    texts: list[str] = []
    for value in values:
        kind = type(value)
        if kind is str:
            text = value.strip()  # type: ignore[union-attr]
        elif value is None or kind is bool:
            continue
        elif kind is int:
            text = str(value)
        else:
            text = _odd_text(value)
        if text:
            texts.append(text)
            if len(texts) >= limit:
                break
    for i, text in enumerate(texts):
        if "\n" in text or "\r" in text:
            texts[i] = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return texts


def _odd_text(value: object) -> str:
    """Text for the less common value types a driver returns; "" for what has no format."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace").strip()
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return ""


_YIELDS = "only the value format suggests this and the name or definition points elsewhere"
_PROBE = 3  # values a format detector must hit among before it scans the whole sample


def _combine(confidences: Iterable[float]) -> float:
    miss = 1.0
    for confidence in confidences:
        miss *= 1.0 - confidence
    return 1.0 - miss


class Classifier:
    """Suggests vocabulary codes for fields using one validated rule set.

    Build it once (``Classifier()`` uses the default rules) and reuse it: the rule set is
    compiled at construction and the classifier keeps no per-field state, so results are
    deterministic and it is safe to share between threads.
    """

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = rules if rules is not None else load_rules()
        used = {check.detector for rule in self.rules.labels for check in rule.values}
        self._detectors = {name: DETECTORS[name] for name in sorted(used)}
        self._single = {name: d.single() for name, d in self._detectors.items()}
        # One search for "any keyword at all" spares most fields the per-detector gates.
        gates = [d.gate.pattern for d in self._detectors.values() if d.gate is not None]
        self._any_keyword = re.compile("|".join(f"(?:{g})" for g in gates)) if gates else None

    @property
    def threshold(self) -> float:
        """The confidence from which a suggestion is meant to be shown as likely."""
        return self.rules.threshold

    def classify_many(self, fields: Iterable[FieldSample]) -> list[list[Suggestion]]:
        """Classify fields in order; one list of suggestions per field."""
        classify = self.classify
        return [classify(field) for field in fields]

    def classify(self, field: FieldSample) -> list[Suggestion]:
        """Suggestions for one field, most confident first; an empty list when nothing fits."""
        rules = self.rules
        name = normalise_name(field.name or "", rules.abbreviations)
        definition = (field.definition or "").lower()
        dataset = normalise_name(field.dataset or "", rules.abbreviations)
        texts = sample_texts(field.values, rules.max_values)
        sampled = len(texts) if len(texts) >= rules.min_values else 0
        counts = self._count(texts) if sampled else {}
        found: list[tuple[str, float, list[str], bool]] = []
        for rule in rules.labels:
            result = self._evaluate(rule, field.name, name, definition, dataset, counts, sampled)
            if result is not None:
                found.append((rule.label, *result))
        if any(supported for *_, supported in found):
            # A value shape alone (a CDC race code looks like a LOINC code) yields to a name or
            # definition that points at another classification.
            found = [
                (label, confidence * rules.value_only_factor, [*reasons, _YIELDS], False)
                if not supported
                else (label, confidence, reasons, supported)
                for label, confidence, reasons, supported in found
            ]
        reference = bool(rules.reference_datasets and rules.reference_datasets.search(dataset))
        out: list[Suggestion] = []
        for label, confidence, reasons, _ in found:
            if reference:
                confidence *= rules.reference_factor
                reasons.append(f"dataset '{field.dataset}' looks like a code list, not records")
            if confidence >= rules.min_confidence:
                out.append(Suggestion(label, round(min(confidence, 0.99), 3), "; ".join(reasons)))
        out.sort(key=lambda s: (-s.confidence, s.label))
        return out

    def _count(self, texts: list[str]) -> dict[str, tuple[int, int]]:
        """Run the detectors the rules use over the sampled values, cheapest test first.

        Format detectors (SSN, dates, codes) are first checked against the first ``_PROBE``
        values (their lengths, then a match of each) and only scan the whole sample when one
        of them matches: such columns hold one kind of value, so a probe with no hit
        means the share cannot reach a rule's minimum in practice. Keyword detectors (race,
        benefits, ...) skip the probe because their categories can be a minority of the
        values; their cheap unanchored gate does the same job.
        """
        joined = "\n".join(texts)
        head = texts[:_PROBE]
        head_lower = [text.lower() for text in head]
        lengths = [len(text) for text in head]
        shortest, longest = min(lengths, default=0), max(lengths, default=0)
        lowered = joined.lower()
        keywords = self._any_keyword is not None and self._any_keyword.search(lowered) is not None
        counts: dict[str, tuple[int, int]] = {}
        present: dict[str, bool] = {}
        for name, detector in self._detectors.items():
            if detector.gate is not None and not keywords:
                continue
            needs = detector.needs
            if needs:
                ok = present.get(needs)
                if ok is None:
                    ok = present[needs] = any(c in joined for c in needs)
                if not ok:
                    continue
            if detector.gate is None:
                low, high = detector.width
                if high < shortest or low > longest:
                    continue
                single = self._single[name].fullmatch
                if not any(single(text) for text in (head_lower if detector.lower else head)):
                    continue
            found = detector.count(lowered if detector.lower else joined)
            if found[0]:
                counts[name] = found
        return counts

    def _evaluate(
        self,
        rule: LabelRule,
        raw_name: str,
        name: str,
        definition: str,
        dataset: str,
        counts: dict[str, tuple[int, int]],
        sampled: int,
    ) -> tuple[float, list[str], bool] | None:
        """(confidence, reasons, supported) or None; supported = not an ambiguous shape alone."""
        # Look for evidence first and build reasons only when there is some: most labels find
        # nothing on most fields, and this loop runs once per label per field.
        name_hit = rule.name.search(name) if rule.name is not None and name else None
        weak_hit = None
        if name_hit is None and rule.name_weak is not None and name:
            weak_hit = rule.name_weak.search(name)
        def_hit = rule.definition.search(definition) if rule.definition and definition else None
        context = None
        if rule.context_dataset is not None and rule.context_name is not None:
            context = rule.context_dataset.search(dataset)
            if context is not None and rule.context_name.search(name) is None:
                context = None
        matches = [
            (check, counts[check.detector]) for check in rule.values if check.detector in counts
        ]
        if not (name_hit or weak_hit or def_hit or context or matches):
            return None
        unless = rule.unless
        if unless is not None and unless.search(name):
            return (
                None  # about the identifier (a flag, a type) or an organisation's, not a person's
            )
        if unless is not None and definition and unless.search(definition):
            # The definition says what the name did not ("the date the record was loaded"):
            # drop the definition, and the values too unless the name vouches for them.
            def_hit = None
            if name_hit is None and weak_hit is None:
                matches = []
        pieces: list[float] = []
        reasons: list[str] = []
        if name_hit is not None:
            pieces.append(rule.name_confidence)
            reasons.append(_name_reason(raw_name, name, name_hit.group(0)))
        elif weak_hit is not None:
            pieces.append(rule.name_weak_confidence)
            reasons.append(_name_reason(raw_name, name, weak_hit.group(0)))
        if def_hit is not None:
            pieces.append(rule.definition_confidence)
            reasons.append(f"definition mentions '{def_hit.group(0)}'")
        if context is not None:
            pieces.append(rule.context_confidence)
            reasons.append(f"a '{name}' column in a '{context.group(0)}' dataset")
        value_piece, value_reason, invalid, best_share, distinctive = _value_evidence(
            matches, sampled
        )
        if invalid:
            # Right format, failed validity (demo 9xx SSNs, mistyped VINs): the field still looks
            # like it holds the identifier, but with less certainty than valid values give.
            pieces = [p * rule.mismatch_factor for p in pieces]
        elif pieces and rule.values and sampled and best_share < 0.2 and rule.mismatch_factor < 1:
            pieces = [p * rule.mismatch_factor for p in pieces]
            reasons.append(f"but few sampled values look like {_expected(rule)}")
        if value_piece:
            pieces.append(value_piece)
            reasons.append(value_reason)
        if not pieces:
            return None
        supported = len(pieces) > (1 if value_piece else 0) or distinctive
        return _combine(pieces), reasons, supported


def _value_evidence(
    matches: list[tuple[ValueCheck, tuple[int, int]]], sampled: int
) -> tuple[float, str, bool, float, bool]:
    """Strongest value evidence: (confidence, reason, only invalid?, best share, distinctive?)."""
    piece, reason, invalid, best_share, distinctive = 0.0, "", False, 0.0, False
    for check, (matched, valid) in matches:
        detector = DETECTORS[check.detector]
        best_share = max(best_share, matched / sampled)
        if valid / sampled >= check.min_share and check.confidence > piece:
            piece, invalid, distinctive = check.confidence, False, detector.distinctive
            note = f" {detector.valid_note}" if detector.valid_note else ""
            reason = f"{valid} of {sampled} sampled values match {detector.description}{note}"
        elif matched / sampled >= check.min_share and check.invalid_confidence > piece:
            piece, invalid, distinctive = check.invalid_confidence, True, detector.distinctive
            reason = f"{matched - valid} of {sampled} sampled values {detector.invalid_note}"
    return piece, reason, invalid, best_share, distinctive


def _name_reason(raw: str, normalised: str, hit: str) -> str:
    if raw.lower().replace("_", " ") == normalised:
        return f"name '{raw}' contains '{hit.lower()}'"
    return f"name '{raw}' reads as '{normalised}', which contains '{hit.lower()}'"


def _expected(rule: LabelRule) -> str:
    return " or ".join(DETECTORS[check.detector].description for check in rule.values)
