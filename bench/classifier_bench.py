"""Quality and throughput of the field classifier (accord.catalog.classifier).

Quality: every column of ``bench/labelled_columns.csv`` (see ``labelled_columns.md``) is
classified from its table name, column name, definition and synthetic sample values. A column
counts as predicted ``pii`` / ``phi`` / ``sensitive`` when any suggestion of that family has a
confidence at or above the rule set's threshold. Precision, recall and F1 are printed per
label, with micro F1, for the whole set and for its parts by when they were written relative to
the rules (see ``PARTS``); the last part is the honest held-out figure.

Throughput: at least 50,000 fields are generated from the labelled set with variations (name
case and affixes, 20-50 sampled values with perturbed digits) and classified with
``classify_many``. The baseline, in the same process over the same fields, is the bare cost of
touching each field's inputs: lower-casing the name and definition and joining ``str`` of the
values. The ratio says how many baselines one classification costs.

    python bench/classifier_bench.py [--fields 50000] [--errors]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Sequence
from pathlib import Path

from accord.catalog.classifier import Classifier, FieldSample, Suggestion, coarse_label

LABELLED = Path(__file__).with_name("labelled_columns.csv")
COARSE = ("pii", "phi", "sensitive")
# Parts of the labelled set by when they were written relative to the rules (labelled_columns.md):
# "dev" was in view while the rules were written; "after_v1" was written after a first freeze
# and then used to revise the rules; "after_v2" was written after the second freeze and has
# not been used to change anything.
PARTS = {
    "after_v1": frozenset({"mimic_iv_hosp", "hud_hmis_2024", "usda_snap_qc"}),
    "after_v2": frozenset({"synthea_csv", "fhir_r4_more", "cms_taf_de"}),
}


def read_labelled(path: Path = LABELLED) -> list[tuple[str, FieldSample, frozenset[str]]]:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = [v if v else None for v in row["sample_values"].split("|")]
            field = FieldSample(
                dataset=row["table"],
                name=row["column"],
                definition=row["definition"],
                values=values,
            )
            labels = frozenset(x for x in row["labels"].split(";") if x)
            rows.append((row["source_schema"], field, labels))
    return rows


def predicted(suggestions: Sequence[Suggestion], threshold: float) -> frozenset[str]:
    return frozenset(coarse_label(s.label) for s in suggestions if s.confidence >= threshold)


def scores(
    pairs: Sequence[tuple[frozenset[str], frozenset[str]]],
) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) per coarse label."""
    out = {}
    for label in COARSE:
        tp = sum(1 for truth, guess in pairs if label in truth and label in guess)
        fp = sum(1 for truth, guess in pairs if label not in truth and label in guess)
        fn = sum(1 for truth, guess in pairs if label in truth and label not in guess)
        out[label] = (tp, fp, fn)
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def print_quality(title: str, pairs: Sequence[tuple[frozenset[str], frozenset[str]]]) -> float:
    table = scores(pairs)
    print(f"\n{title}: {len(pairs)} columns")
    print(f"  {'label':<10} {'support':>7} {'P':>6} {'R':>6} {'F1':>6}")
    for label, (tp, fp, fn) in table.items():
        p, r, f = prf(tp, fp, fn)
        print(f"  {label:<10} {tp + fn:>7} {p:>6.3f} {r:>6.3f} {f:>6.3f}")
    tp, fp, fn = (sum(t[i] for t in table.values()) for i in range(3))
    p, r, micro = prf(tp, fp, fn)
    print(f"  {'micro':<10} {tp + fn:>7} {p:>6.3f} {r:>6.3f} {micro:>6.3f}")
    return micro


def quality(classifier: Classifier, show_errors: bool) -> None:
    rows = read_labelled()
    threshold = classifier.threshold
    results = classifier.classify_many(field for _, field, _ in rows)
    parts: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {
        "dev": [],
        "after_v1": [],
        "after_v2": [],
    }
    for (schema, field, truth), suggestions in zip(rows, results, strict=True):
        guess = predicted(suggestions, threshold)
        part = next((name for name, schemas in PARTS.items() if schema in schemas), "dev")
        parts[part].append((truth, guess))
        if show_errors and guess != truth:
            print(
                f"  MISS {schema}.{field.dataset}.{field.name}: truth={sorted(truth)} "
                f"guess={sorted(guess)} {[(s.label, s.confidence) for s in suggestions]}"
            )
    print(f"Quality (a label counts when a suggestion has confidence >= {threshold})")
    print_quality("All columns", [pair for pairs in parts.values() for pair in pairs])
    print_quality("Dev part (in view while the rules were written)", parts["dev"])
    print_quality(
        "Written after the first freeze, then used to revise the rules", parts["after_v1"]
    )
    print_quality(
        "Held out: written after the second freeze, never used to tune", parts["after_v2"]
    )


def _vary_name(name: str, rng: random.Random) -> str:
    choice = rng.randrange(5)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return name.lower()
    if choice == 2:
        return f"{rng.choice(('src', 'stg', 'x', 'v2', 'raw'))}_{name}"
    if choice == 3:
        return f"{name}_{rng.randrange(1, 9)}"
    return name


def _vary_value(value: object, rng: random.Random) -> object:
    if not isinstance(value, str) or not value:
        return value
    return "".join(
        str(rng.randrange(10)) if c.isdigit() and rng.random() < 0.3 else c for c in value
    )


def generate(rows: Sequence[FieldSample], count: int, seed: int = 7) -> list[FieldSample]:
    rng = random.Random(seed)
    fields = []
    for i in range(count):
        base = rows[i % len(rows)]
        pool = [v for v in base.values if v is not None] or [None]
        n = rng.randint(20, 50)
        values = [_vary_value(rng.choice(pool), rng) for _ in range(n)]
        fields.append(
            FieldSample(
                dataset=base.dataset,
                name=_vary_name(base.name, rng),
                definition=base.definition,
                values=values,
            )
        )
    return fields


def baseline(fields: Sequence[FieldSample]) -> int:
    """Touch every input once: the floor any classifier pays."""
    total = 0
    for field in fields:
        text = field.name.lower() + field.definition.lower() + "\n".join(map(str, field.values))
        total += len(text)
    return total


def throughput(classifier: Classifier, count: int) -> None:
    fields = generate([field for _, field, _ in read_labelled()], count)
    start = time.perf_counter()
    baseline(fields)
    base_seconds = time.perf_counter() - start
    start = time.perf_counter()
    results = classifier.classify_many(fields)
    seconds = time.perf_counter() - start
    suggestions = sum(len(r) for r in results)
    values = sum(len(f.values) for f in fields)
    print(
        f"\nThroughput: {len(fields):,} fields, {values:,} sampled values, "
        f"{suggestions:,} suggestions"
    )
    print(f"  classifier: {seconds:.2f} s = {len(fields) / seconds:,.0f} fields/s")
    print(
        f"  baseline (lower-case name + definition, join str(values)): {base_seconds:.3f} s "
        f"= {len(fields) / base_seconds:,.0f} fields/s"
    )
    print(f"  ratio classifier / baseline time: {seconds / base_seconds:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fields", type=int, default=50_000)
    parser.add_argument("--errors", action="store_true", help="print misclassified columns")
    args = parser.parse_args()
    classifier = Classifier()
    quality(classifier, args.errors)
    throughput(classifier, args.fields)


if __name__ == "__main__":
    main()
