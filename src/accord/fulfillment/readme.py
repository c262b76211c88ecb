"""The README a recipient reads first: what they received, under which terms, how to check it.

Written for a person at the receiving department, not for Accord's engineers: plain words,
every file named, every field's treatment said with ``Rule.label``, and the two duties the
agreement puts on them (the data is altered, and it must be destroyed or returned).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.fulfillment.manifest import CHECKSUMS, MANIFEST, Manifest
from accord.fulfillment.plan import Plan, RowFilter, Rule


@dataclass(frozen=True)
class About:
    """What the agreement says that the recipient must read with the data."""

    title: str  # the agreement's (the proposal's) title
    provider: str  # the department that sends the data
    recipient: str  # the department (and person) that receives it
    permitted_use: str  # the use the agreement allows, in its words
    disposal: str  # what to do with the data at the end: destroy or return, how, by when
    ends_on: str = ""  # the agreement's end date, ISO
    contact: str = ""  # whom to ask


def readme_text(name: str, plan: Plan, about: About, manifest: Manifest) -> str:
    """The README for a package whose other files are in ``manifest`` (the README, the
    manifest and SHA256SUMS come after it, so they are named without a size)."""
    sizes = {f.path: f.size for f in manifest.files}
    lines = [
        f"# {about.title or name}",
        "",
        f"This folder is a data package from **{about.provider}** to **{about.recipient}**, "
        f"delivered under data-sharing agreement {plan.agreement_id}, version {plan.version}, "
        f"created {manifest.created_at}.",
        "",
        "## What you may do with it",
        "",
        about.permitted_use or "Only the use the agreement describes.",
        "",
        "## The data was changed before it was sent",
        "",
        "This is **modified data**, not the original records: it was de-identified or "
        "otherwise altered as the agreement requires (BUCP §5.11). Fields were dropped, "
        "generalised or replaced as listed below. Do not try to re-identify anyone, and do "
        "not present the data as the source department's original records.",
        "",
        "## When the agreement ends",
        "",
        about.disposal or "Destroy or return the data as the agreement's terms require.",
    ]
    if about.ends_on:
        lines += ["", f"The agreement ends on {about.ends_on}."]
    lines += ["", "## Datasets", ""]
    rules = {d.name: {f.name: f.rule for f in d.fields} for d in plan.datasets}
    filters = {d.name: [_in_words(c) for c in d.filters] for d in plan.datasets}
    for entry in manifest.datasets:
        lines += [
            f"### {entry.name}",
            "",
            f"`{entry.file}`: {entry.rows:,} rows, {len(entry.fields)} fields "
            f"({_size(sizes.get(entry.file, 0))}).",
            "",
            "| field | type in the file | what was done to it |",
            "|---|---|---|",
        ]
        for f in entry.fields:
            lines.append(f"| {_cell(f.name)} | {f.type} | {Rule(f.rule).label} |")
        dropped = [n for n, r in rules.get(entry.name, {}).items() if r is Rule.DROP]
        if dropped:
            lines += ["", f"Not delivered (direct identifiers, dropped): {', '.join(dropped)}."]
        if limits := filters.get(entry.name):
            lines += ["", "Only the records the agreement covers: " + "; ".join(limits) + "."]
        lines.append("")
    if plan.format == "csv":
        lines += [
            "The CSV files are UTF-8 with a header row. A cell that a spreadsheet would run "
            "as a formula starts with an apostrophe (') so that it shows as text.",
            "",
        ]
    lines += ["## Files", "", "| file | size | what it is |", "|---|---|---|"]
    for file in manifest.files:
        lines.append(f"| `{file.path}` | {_size(file.size)} | {_describe(file.path)} |")
    lines += [
        "| `README.md` | | this file |",
        f"| `{MANIFEST}` | | {_describe(MANIFEST)} |",
        f"| `{CHECKSUMS}` | | {_describe(CHECKSUMS)} |",
        "",
        "## Checking that nothing changed on the way",
        "",
        "Every file's SHA-256 checksum is in `SHA256SUMS` and `manifest.json`. In this folder, "
        "run either",
        "",
        "    sha256sum -c SHA256SUMS",
        "",
        "or, with Accord installed, `accord package verify .` (it also checks the row counts "
        "and columns against the manifest). Both must report every file OK.",
    ]
    if about.contact:
        lines += ["", "## Questions", "", about.contact]
    return "\n".join(lines) + "\n"


def _in_words(condition: RowFilter) -> str:
    words = {
        ">=": "on or after",
        ">": "after",
        "<": "before",
        "<=": "on or before",
        "=": "equal to",
        "!=": "not",
        "in": "one of",
    }
    value = condition.value
    shown = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return f"{condition.field} {words[condition.op]} {shown}"


def _describe(path: str) -> str:
    if path.startswith("data/"):
        return "the data"
    if path.startswith("dictionary/"):
        if path.endswith(".schema.json"):
            return "the data dictionary as a Frictionless Table Schema"
        if path.endswith(".xlsx"):
            return "the data dictionary as an Excel workbook"
        return "the data dictionary as CSV"
    return {
        "glossary.csv": "the terms and acronyms the fields use",
        "ddg-report.json": "the de-identification assessment of the counts (CalHHS DDG)",
        MANIFEST: "every file, its size and checksum; every dataset's rows and fields",
        CHECKSUMS: "checksums of every other file, for sha256sum -c",
    }.get(path, "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _size(size: int) -> str:
    step = 1024.0
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < step or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= step
    return f"{size:,} bytes"
