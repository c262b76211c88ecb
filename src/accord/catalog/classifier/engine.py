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
    ClinicalRecords,
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
        # Each label's name and definition matches, per distinct text: a harvest repeats the
        # same column names ("id", "status", "created_at", "person_id") and definitions across
        # tables, and these searches are most of the cost of a field. Pure functions of the
        # text, so sharing the memo between threads can at worst repeat a computation.
        self._name_memo: dict[str, _Hits] = {}
        self._definition_memo: dict[str, _Hits] = {}
        self._unless_memo: dict[tuple[str, str], bool] = {}
        self._not_clinical_memo: dict[tuple[str, str], bool] = {}

    @property
    def threshold(self) -> float:
        """The confidence from which a suggestion is meant to be shown as likely."""
        return self.rules.threshold

    def classify_many(self, fields: Iterable[FieldSample]) -> list[list[Suggestion]]:
        """Classify fields in order; one list of suggestions per field.

        What depends on the dataset alone is worked out once per dataset in the batch, and
        that includes what kind of dataset it is as read from all of its fields in the batch
        (``dataset_kinds``) and whether it is a clinical record (``clinical_records``), which
        needs its fields' own suggestions first: a field classified alone with ``classify``
        has no such siblings.
        """
        batch = list(fields)
        abbreviations = self.rules.abbreviations
        words = self.rules.words
        names = [normalise_name(field.name or "", abbreviations, words) for field in batch]
        members: dict[str, list[int]] = {}
        for i, field in enumerate(batch):
            members.setdefault(field.dataset or "", []).append(i)
        views: dict[str, _DatasetView] = {}
        for key, indices in members.items():
            kinds: tuple[str, ...] = ()
            if self.rules.dataset_kinds:
                kinds = self._kinds(
                    [(names[i], (batch[i].definition or "").lower()) for i in indices]
                )
            views[key] = self._dataset_view(key, kinds)
        out = [
            self._classify(field, views[field.dataset or ""], name)
            for field, name in zip(batch, names, strict=True)
        ]
        if self.rules.clinical_records is not None:
            for key, indices in members.items():
                self._clinical(views[key], [(batch[i], names[i], out[i]) for i in indices], key)
        return out

    def classify(self, field: FieldSample) -> list[Suggestion]:
        """Suggestions for one field, most confident first; an empty list when nothing fits."""
        view = self._dataset_view(field.dataset or "")
        found = self._classify(field, view)
        if self.rules.clinical_records is not None:
            name = normalise_name(field.name or "", self.rules.abbreviations, self.rules.words)
            self._clinical(view, [(field, name, found)], field.dataset or "")
        return found

    def _clinical(
        self,
        view: _DatasetView,
        members: list[tuple[FieldSample, str, list[Suggestion]]],
        dataset: str,
    ) -> None:
        """Add PHI, in place, to the fields of a dataset that is a clinical record.

        CLASSIFICATION.md: what a person's health is or was, and the date of a clinical event,
        are PHI. In a clinical record (an assessment, an EMS report, a registry abstract) most
        columns are exactly that while their names carry no health word, so the dataset's
        evidence stands in for the name's: a date already read as a person's gets PHI too, and
        a field nothing else claimed gets PHI at a lower confidence, unless it is one of the
        record's administrative or structural columns. Context only adds here; where a field's
        own evidence already gives PHI, it is left alone.
        """
        clinical = self.rules.clinical_records
        if clinical is None or view[0] or not members:
            return
        texts = view[3]
        if clinical.unless_datasets is not None and _first_hit(clinical.unless_datasets, texts):
            return
        threshold = self.rules.threshold
        hit = _first_hit(clinical.datasets, texts) if clinical.datasets is not None else None
        phi = sum(
            1
            for _, _, found in members
            if any(s.confidence >= threshold and s.label[:3] == "PHI" for s in found)
        )
        if hit is not None and phi >= clinical.named_min_phi_fields:
            why = f"its name says '{hit.group(0)}'"
        elif phi >= clinical.min_phi_fields and phi >= clinical.min_phi_share * len(members):
            why = f"{phi} of its {len(members)} fields are clinical"
        else:
            return
        where = f"'{dataset}' is a table of clinical records about people ({why})"
        for field, name, found in members:
            confident = [s for s in found if s.confidence >= threshold]
            if any(s.label[:3] == "PHI" for s in confident):
                continue
            if self._not_clinical(clinical, name, (field.definition or "").lower()):
                continue
            if not confident:
                confidence = clinical.field_confidence
                reason = (
                    f"{where}, and this field is not one of its keys or administrative "
                    "columns, so it describes the person's health"
                )
            elif any(s.label == "PII:date" for s in confident):
                confidence = clinical.date_confidence
                reason = f"{where}, so a date in it dates a clinical event"
            else:
                continue
            _add(found, "PHI", confidence, reason)

    def _not_clinical(self, clinical: ClinicalRecords, name: str, definition: str) -> bool:
        """Is the field a key, provenance, unit, cost, organisation or system column? Memoised."""
        key = (name, definition)
        found = self._not_clinical_memo.get(key)
        if found is None:
            found = _hits(clinical.not_clinical, name) or bool(
                definition and _hits(clinical.not_clinical_definition, definition)
            )
            if len(self._not_clinical_memo) >= _MEMO_SIZE:
                self._not_clinical_memo.clear()
            self._not_clinical_memo[key] = found
        return found

    def _kinds(self, members: list[tuple[str, str]]) -> tuple[str, ...]:
        """Kinds of dataset its fields (normalised name, lower-cased definition) point at."""
        kinds: list[str] = []
        for kind in self.rules.dataset_kinds:
            hits = 0
            for name, definition in members:
                if kind.unless_fields is not None and (
                    kind.unless_fields.search(name)
                    or (definition and kind.unless_fields.search(definition))
                ):
                    hits = -1
                    break
                if kind.fields.search(name) or (definition and kind.fields.search(definition)):
                    hits += 1
            if hits >= kind.min_fields:
                kinds.append(kind.kind)
        return tuple(kinds)

    def _dataset_view(self, dataset: str, kinds: tuple[str, ...] = ()) -> _DatasetView:
        rules = self.rules
        normalised = normalise_name(dataset, rules.abbreviations, rules.words)
        reference = bool(rules.reference_datasets and rules.reference_datasets.search(normalised))
        texts = (normalised, *kinds)
        contexts = tuple(
            tuple(
                (context, hit)
                for context in rule.contexts
                if (hit := _first_hit(context.dataset, texts)) is not None
            )
            for rule in rules.labels
        )
        return reference, contexts, normalised, texts

    def _classify(
        self, field: FieldSample, view: _DatasetView, name: str | None = None
    ) -> list[Suggestion]:
        rules = self.rules
        if name is None:
            name = normalise_name(field.name or "", rules.abbreviations, rules.words)
        definition = (field.definition or "").lower()
        reference, contexts, dataset, _ = view
        if dataset and _own_key(name, dataset):
            return []  # the dataset's own row key ("nibrs_arrestee_weapon_id"): a surrogate
        name_hits = self._text_hits(name, self._any_name, self._name_memo, _NAME)
        definition_hits = self._text_hits(
            definition, self._any_definition, self._definition_memo, _DEFINITION
        )
        name_any = bool(name_hits)
        texts = sample_texts(field.values, rules.max_values)
        sampled = len(texts) if len(texts) >= rules.min_values else 0
        counts = self._count(texts) if sampled else {}
        found: list[tuple[str, float, list[str], bool]] = []
        for i, (rule, context) in enumerate(zip(rules.labels, contexts, strict=True)):
            result = self._evaluate(
                rule,
                field.name,
                (name, name_any, definition),
                (
                    name_hits[i] if name_hits else _NO_HITS,
                    definition_hits[i][0] if definition_hits else None,
                ),
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

    def _text_hits(
        self, text: str, gate: re.Pattern[str] | None, memo: dict[str, _Hits], kind: int
    ) -> _Hits:
        """Each label's (strong, weak) matches in a name, or (match, None) in a definition.

        Empty when the union of all labels' patterns finds nothing, which is common.
        """
        hits = memo.get(text)
        if hits is None:
            if not (text and _hits(gate, text)):
                hits = ()
            elif kind == _NAME:
                hits = tuple(_name_pair(rule, text) for rule in self.rules.labels)
            else:
                hits = tuple(
                    (rule.definition.search(text) if rule.definition is not None else None, None)
                    for rule in self.rules.labels
                )
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = hits
        return hits

    def _unless(self, rule: LabelRule, text: str) -> bool:
        """Does the label's ``unless`` match ``text`` (a name or a definition)? Memoised."""
        if rule.unless is None:
            return False
        key = (rule.label, text)
        found = self._unless_memo.get(key)
        if found is None:
            found = rule.unless.search(text) is not None
            if len(self._unless_memo) >= _MEMO_SIZE:
                self._unless_memo.clear()
            self._unless_memo[key] = found
        return found

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
        text: tuple[str, bool, str],
        hits: tuple[tuple[re.Match[str] | None, re.Match[str] | None], re.Match[str] | None],
        contexts: _Contexts,
        counts: dict[str, tuple[int, int]],
        sampled: int,
    ) -> tuple[float, list[str], bool] | None:
        """(confidence, reasons, supported) or None; supported = not an ambiguous shape alone.

        ``text`` is (name, any label's name pattern hits it, definition); ``hits`` this
        label's ((strong, weak) name match, definition match); ``contexts`` are this rule's
        contexts whose dataset pattern matched.
        """
        name, name_any, definition = text
        # Look for evidence first and build reasons only when there is some: most labels find
        # nothing on most fields, and this loop runs once per label per field.
        (name_hit, weak_hit), def_hit = hits
        context: tuple[ContextRule, re.Match[str]] | None = None
        for candidate, hit in contexts:
            if not candidate.raises:
                continue
            if (name_any and candidate.name is not None and candidate.name.search(name)) or (
                definition
                and candidate.definition is not None
                and candidate.definition.search(definition)
            ):
                context = (candidate, hit)
                break
        matches = [
            (check, counts[check.detector]) for check in rule.values if check.detector in counts
        ]
        if not (name_hit or weak_hit or def_hit or context or matches):
            return None
        if self._unless(rule, name):
            return (
                None  # about the identifier (a flag, a type) or an organisation's, not a person's
            )
        if definition and self._unless(rule, definition):
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
            if candidate.raises or not _lowers(candidate, name, definition):
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


# Per label, (strong or definition match, weak match); empty when no label's pattern matched.
_Hits = tuple[tuple[re.Match[str] | None, re.Match[str] | None], ...]
_NO_HITS: tuple[None, None] = (None, None)
_NAME, _DEFINITION = 0, 1
_MEMO_SIZE = 50_000  # distinct names (or definitions) remembered before the memo starts over


def _name_pair(rule: LabelRule, name: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    strong = rule.name.search(name) if rule.name is not None else None
    if strong is None and rule.name_weak is not None:
        return None, rule.name_weak.search(name)
    return strong, None


# The contexts of one rule whose dataset pattern matched, with the match.
_Contexts = tuple[tuple[ContextRule, re.Match[str]], ...]
# (is it a code list?, each rule's matching contexts, normalised name, name and kinds) for one
# dataset
_DatasetView = tuple[bool, tuple[_Contexts, ...], str, tuple[str, ...]]
_KEY_SUFFIX = re.compile(r" (?:id|key|sk|uuid|guid|seq number|sequence number)$")


def _add(found: list[Suggestion], label: str, confidence: float, reason: str) -> None:
    """Add evidence for ``label`` to a field's suggestions (noisy-or with any already there)."""
    for i, suggestion in enumerate(found):
        if suggestion.label == label:
            combined = _combine((suggestion.confidence, confidence))
            found[i] = Suggestion(
                label, round(min(combined, 0.99), 3), f"{suggestion.reason}; {reason}"
            )
            break
    else:
        found.append(Suggestion(label, round(confidence, 3), reason))
    found.sort(key=lambda s: (-s.confidence, s.label))


def _lowers(context: ContextRule, name: str, definition: str) -> bool:
    """Does a lowering context apply: no name or definition filter, or one of them matches?"""
    if context.name is None and context.definition is None:
        return True
    return bool(
        (context.name is not None and context.name.search(name))
        or (definition and context.definition is not None and context.definition.search(definition))
    )


def _first_hit(pattern: re.Pattern[str], texts: tuple[str, ...]) -> re.Match[str] | None:
    """The first match of ``pattern`` in the dataset's name or one of its inferred kinds."""
    for text in texts:
        hit = pattern.search(text)
        if hit is not None:
            return hit
    return None


def _own_key(name: str, dataset: str) -> bool:
    """Is ``name`` the dataset's own row key, its name plus "id" (two words at least)?

    ``nibrs_victim_offender_id`` in ``nibrs_victim_offender_rel`` links the dataset's own
    rows; one word ("victim id") is left to the rules, as it may name a code table.
    """
    suffix = _KEY_SUFFIX.search(name)
    if suffix is None:
        return False
    stem = name[: suffix.start()]
    return " " in stem and (dataset == stem or dataset.startswith(stem + " "))


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
