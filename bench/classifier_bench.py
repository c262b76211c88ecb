"""Quality and throughput of the field classifier (accord.catalog.classifier).

Quality, scored per family (pii, phi, sensitive: a column counts as predicted in a family when
a suggestion of that family has a confidence at or above the rule set's threshold) with
precision, recall, F1 and their micro average over the three families, on two sets labelled
under ``/work/shared/specs/CLASSIFICATION.md``:

- the own set, ``bench/labelled_columns.csv`` (``labelled_columns.md``): the rules were written
  from it, so its figure is optimistic. It is scored twice: with its synthetic sample values,
  and from names, tables and definitions alone, as most catalogued fields arrive;
- the retired held-out sets, ``bench/retired_heldout1_columns.csv`` to ``retired_heldout6_…``:
  each held out once, scored, and then studied to write rules, so development data now, their
  figures optimistic too;
- a second person's labels of part of a set (``*_second_labels.csv``), written blind to the
  first: how far two readers of the policy agree, beside the classifier's score on the same
  columns;
- the held-out set, ``bench/heldout_columns.csv`` (``heldout_columns.md``): columns of schemas
  no rule was written from, labelled by someone who did not see the rules, before they were
  changed, and scored once they were frozen. Its figure is the one to quote.

Throughput: at least 50,000 fields are generated from the own set with variations (name case
and affixes, 20-50 sampled values with perturbed digits) and classified with ``classify_many``.
The baseline, in the same process over the same fields, is the bare cost of touching each
field's inputs: lower-casing the name and definition and joining ``str`` of the values. The
ratio says how many baselines one classification costs.

    python bench/classifier_bench.py [--fields 50000] [--errors] [--own-only]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from accord.catalog.classifier import Classifier, FieldSample, Suggestion, coarse_label

LABELLED = Path(__file__).with_name("labelled_columns.csv")
RETIRED = sorted(Path(__file__).parent.glob("retired_heldout*_columns.csv"))
HELD_OUT = Path(__file__).with_name("heldout_columns.csv")
# A second person's labels of part of a set, written blind to the first's: how far two careful
# readers of the policy agree bounds what the classifier can be asked to reach.
SECOND_LABELS = sorted(Path(__file__).parent.glob("*_second_labels.csv"))
COARSE = ("pii", "phi", "sensitive")


def read_labelled(path: Path = LABELLED) -> list[tuple[str, FieldSample, frozenset[str]]]:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            raw = row["sample_values"]
            values = [v if v else None for v in raw.split("|")] if raw else []
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


def quality(
    classifier: Classifier,
    title: str,
    rows: Sequence[tuple[str, FieldSample, frozenset[str]]],
    show_errors: bool,
) -> None:
    threshold = classifier.threshold
    results = classifier.classify_many(field for _, field, _ in rows)
    pairs = []
    for (schema, field, truth), suggestions in zip(rows, results, strict=True):
        guess = predicted(suggestions, threshold)
        pairs.append((truth, guess))
        if show_errors and guess != truth:
            print(
                f"  MISS {schema}.{field.dataset}.{field.name}: truth={sorted(truth)} "
                f"guess={sorted(guess)} {[(s.label, s.confidence) for s in suggestions]}"
            )
    print_quality(title, pairs)
    by_schema: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
    for (schema, _, _), pair in zip(rows, pairs, strict=True):
        by_schema.setdefault(schema, []).append(pair)
    for schema, part in by_schema.items():
        table = scores(part)
        cells = []
        for label, (tp, fp, fn) in table.items():
            cells.append(f"{label} {prf(tp, fp, fn)[2]:.2f}" if tp + fp + fn else f"{label}   - ")
        tp, fp, fn = (sum(t[i] for t in table.values()) for i in range(3))
        micro = prf(tp, fp, fn)[2]
        print(f"    {schema:<22} {len(part):>4}  " + "  ".join(cells) + f"  micro {micro:.2f}")


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
    """Wall-clock and CPU time of the classifier and of the baseline over the same fields.

    The machine is shared, so wall-clock figures move with other people's load; the CPU time
    of this process moves much less, and the ratio to the baseline, measured in the same
    process on the same fields, least.
    """
    fields = generate([field for _, field, _ in read_labelled()], count)
    start, cpu = time.perf_counter(), time.process_time()
    baseline(fields)
    base_seconds, base_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    results = classifier.classify_many(fields)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    suggestions = sum(len(r) for r in results)
    values = sum(len(f.values) for f in fields)
    print(
        f"\nThroughput: {len(fields):,} fields, {values:,} sampled values, "
        f"{suggestions:,} suggestions"
    )
    print(
        f"  classifier: {seconds:.2f} s = {len(fields) / seconds:,.0f} fields/s "
        f"(CPU {cpu_seconds:.2f} s = {len(fields) / cpu_seconds:,.0f} fields per CPU-second)"
    )
    print(
        f"  baseline (lower-case name + definition, join str(values)): {base_seconds:.3f} s "
        f"= {len(fields) / base_seconds:,.0f} fields/s (CPU {base_cpu:.3f} s)"
    )
    print(
        f"  ratio classifier / baseline time: {seconds / base_seconds:.1f}x "
        f"(CPU {cpu_seconds / base_cpu:.1f}x)"
    )


def agreement(classifier: Classifier, second: Path) -> None:
    """The two labellers against each other, and the classifier against each, on the columns
    the second labelled."""
    labelled = read_labelled(second.with_name(second.name.replace("_second_labels", "_columns")))
    with second.open(newline="", encoding="utf-8") as handle:
        other = {
            (row["source_schema"], row["table"], row["column"]): frozenset(
                x for x in row["labels"].split(";") if x
            )
            for row in csv.DictReader(handle)
        }
    both = [
        (s, f, t, other[s, f.dataset, f.name])
        for s, f, t in labelled
        if (s, f.dataset, f.name) in other
    ]
    results = classifier.classify_many(f for _, f, _, _ in both)
    guesses = [predicted(r, classifier.threshold) for r in results]
    name = second.stem.replace("_second_labels", "")
    print_quality(f"{name}: second labeller against the first", [(t, o) for _, _, t, o in both])
    print_quality(
        f"{name}: classifier against the first",
        [(t, g) for (_, _, t, _), g in zip(both, guesses, strict=True)],
    )
    print_quality(
        f"{name}: classifier against the second",
        [(o, g) for (_, _, _, o), g in zip(both, guesses, strict=True)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fields", type=int, default=50_000)
    parser.add_argument("--errors", action="store_true", help="print misclassified columns")
    parser.add_argument(
        "--own-only", action="store_true", help="leave the held-out set alone (while tuning)"
    )
    args = parser.parse_args()
    classifier = Classifier()
    print(f"Quality (a family counts when a suggestion has confidence >= {classifier.threshold})")
    own = read_labelled(LABELLED)
    quality(classifier, "Own set (the rules were written from it)", own, args.errors)
    names_only = [(schema, replace(field, values=()), truth) for schema, field, truth in own]
    quality(classifier, "Own set, names and definitions only", names_only, args.errors)
    for path in RETIRED:
        title = f"Retired held-out set {path.stem} (rules were written from it since)"
        quality(classifier, title, read_labelled(path), args.errors)
    for second in SECOND_LABELS:
        agreement(classifier, second)
    if not args.own_only and HELD_OUT.exists():
        held_out = read_labelled(HELD_OUT)
        quality(classifier, "Held out (schemas no rule was written from)", held_out, args.errors)
    throughput(classifier, args.fields)


if __name__ == "__main__":
    main()
