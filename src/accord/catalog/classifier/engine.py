"""The classifier: names, definitions and sampled values in, ranked suggestions out.

Evidence for a label comes from up to four places: the field name (tokenised and with
abbreviations expanded), the definition, the dataset and name together (a "value" column in a
lab table), and the share of sampled values a detector accepts. Each piece carries a
confidence from the rule file and they are combined as independent evidence (noisy-or), so two
weak signals that agree beat one. Values that clearly do not fit (an "ssn_verified" column of
Y/N flags) weaken name evidence instead of being ignored.

Throughput matters because a harvest classifies tens of thousands of fields at once: names are
tokenised once per field; each label's patterns are one compiled alternation matched against
lower-cased text, and one union of all labels' patterns skips the per-label searches when
nothing can match; dataset-level work is done once per dataset in ``classify_many``; values are
joined once, detectors are skipped by cheap tests (characters present, value lengths, a probe
of the first values) before one ``findall`` over the sample; at most ``max_values`` values are
looked at per field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from accord.catalog.classifier.detectors import DETECTORS
from accord.catalog.classifier.model import FieldSample, Suggestion, normalise_name
from accord.catalog.classifier.rules import (
    ContextRule,
    LabelRule,
    RuleSet,
    ValueCheck,
    load_rules,
)
from accord.catalog.classifier.values import sample_texts

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
        # One alternation of every label's name (or definition) patterns: when it finds
        # nothing, which is true for about half of all definitions, the per-label searches
        # are skipped. It matches exactly where at least one label's pattern matches.
        self._any_name = _union(
            p
            for rule in self.rules.labels
            for p in (
                rule.name,
                rule.name_weak,
                *(c.name for c in rule.contexts if c.raises),
            )
        )
        self._any_definition = _union(rule.definition for rule in self.rules.labels)

    @property
    def threshold(self) -> float:
        """The confidence from which a suggestion is meant to be shown as likely."""
        return self.rules.threshold

    def classify_many(self, fields: Iterable[FieldSample]) -> list[list[Suggestion]]:
        """Classify fields in order; one list of suggestions per field.

        Fields arrive grouped by dataset, so what depends on the dataset alone is worked out
        once per dataset in the batch.
        """
        views: dict[str, _DatasetView] = {}
        out: list[list[Suggestion]] = []
        for field in fields:
            key = field.dataset or ""
            view = views.get(key)
            if view is None:
                view = views[key] = self._dataset_view(key)
            out.append(self._classify(field, view))
        return out

    def classify(self, field: FieldSample) -> list[Suggestion]:
        """Suggestions for one field, most confident first; an empty list when nothing fits."""
        return self._classify(field, self._dataset_view(field.dataset or ""))

    def _dataset_view(self, dataset: str) -> _DatasetView:
        rules = self.rules
        normalised = normalise_name(dataset, rules.abbreviations)
        reference = bool(rules.reference_datasets and rules.reference_datasets.search(normalised))
        contexts = tuple(
            tuple(
                (context, hit)
                for context in rule.contexts
                if (hit := context.dataset.search(normalised)) is not None
            )
            for rule in rules.labels
        )
        return reference, contexts

    def _classify(self, field: FieldSample, view: _DatasetView) -> list[Suggestion]:
        rules = self.rules
        name = normalise_name(field.name or "", rules.abbreviations)
        definition = (field.definition or "").lower()
        reference, contexts = view
        name_any = bool(name) and _hits(self._any_name, name)
        definition_any = bool(definition) and _hits(self._any_definition, definition)
        texts = sample_texts(field.values, rules.max_values)
        sampled = len(texts) if len(texts) >= rules.min_values else 0
        counts = self._count(texts) if sampled else {}
        found: list[tuple[str, float, list[str], bool]] = []
        for rule, context in zip(rules.labels, contexts, strict=True):
            result = self._evaluate(
                rule,
                field.name,
                (name, name_any, definition, definition_any),
                context,
                counts,
                sampled,
            )
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
        counts: dict[str, tuple[int, int]] = {}
        present: dict[str, bool] = {}
        for name, detector in self._detectors.items():
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
        text: tuple[str, bool, str, bool],
        contexts: _Contexts,
        counts: dict[str, tuple[int, int]],
        sampled: int,
    ) -> tuple[float, list[str], bool] | None:
        """(confidence, reasons, supported) or None; supported = not an ambiguous shape alone.

        ``text`` is (name, any label's name pattern hits it, definition, any definition
        pattern hits it); ``contexts`` are this rule's contexts whose dataset pattern matched.
        """
        name, name_any, definition, definition_any = text
        # Look for evidence first and build reasons only when there is some: most labels find
        # nothing on most fields, and this loop runs once per label per field.
        name_hit = weak_hit = def_hit = None
        if name_any:
            name_hit = rule.name.search(name) if rule.name is not None else None
            if name_hit is None and rule.name_weak is not None:
                weak_hit = rule.name_weak.search(name)
        if definition_any and rule.definition is not None:
            def_hit = rule.definition.search(definition)
        context: tuple[ContextRule, re.Match[str]] | None = None
        if name_any:
            for candidate, hit in contexts:
                if candidate.raises and candidate.name is not None and candidate.name.search(name):
                    context = (candidate, hit)
                    break
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
            rule_context, hit = context
            pieces.append(rule_context.confidence)
            default = f"a '{name}' column in a '{hit.group(0)}' dataset"
            reasons.append(rule_context.reason or default)
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
        reasons.extend(text for pattern, text in rule.notes if pattern.search(name))
        supported = len(pieces) > (1 if value_piece else 0) or distinctive
        confidence = _combine(pieces)
        for candidate, hit in contexts:
            if candidate.raises or (candidate.name is not None and not candidate.name.search(name)):
                continue
            confidence *= candidate.factor
            reasons.append(candidate.reason or f"lowered in a '{hit.group(0)}' dataset")
        return confidence, reasons, supported


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


# The contexts of one rule whose dataset pattern matched, with the match.
_Contexts = tuple[tuple[ContextRule, re.Match[str]], ...]
# (is it a code list?, each rule's matching contexts) for one dataset name
_DatasetView = tuple[bool, tuple[_Contexts, ...]]


def _union(patterns: Iterable[re.Pattern[str] | None]) -> re.Pattern[str] | None:
    """One pattern matching wherever any of ``patterns`` (each ``\\b(?:...)\\b``) matches."""
    inner = [p.pattern[len(_OPEN) : -len(_CLOSE)] for p in patterns if p is not None]
    return re.compile(f"{_OPEN}{'|'.join(inner)}{_CLOSE}") if inner else None


def _hits(pattern: re.Pattern[str] | None, text: str) -> bool:
    return pattern is not None and pattern.search(text) is not None


_OPEN, _CLOSE = r"\b(?:", r")\b"  # how rules.py wraps every compiled alternation


def _name_reason(raw: str, normalised: str, hit: str) -> str:
    if raw.lower().replace("_", " ") == normalised:
        return f"name '{raw}' contains '{hit.lower()}'"
    return f"name '{raw}' reads as '{normalised}', which contains '{hit.lower()}'"


def _expected(rule: LabelRule) -> str:
    return " or ".join(DETECTORS[check.detector].description for check in rule.values)
