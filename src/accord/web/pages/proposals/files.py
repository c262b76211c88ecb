"""What the proposal page's Attachments section shows besides the view: the accepted types in
words, sizes people read, and which opinion a restricted file belongs to."""

from __future__ import annotations

from typing import Any

from accord.proposals.attachments import MAX_BYTES, TYPES
from accord.proposals.form import AREA_LABELS
from accord.proposals.overview import Overview

TYPE_WORDS = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "xlsx": "Excel (.xlsx)",
    "png": "PNG",
    "jpg": "JPEG (.jpg)",
    "csv": "CSV",
    "txt": "text (.txt)",
    "md": "Markdown (.md)",
}
# the catalog's dictionary formats offered on the page, in the words of its dataset page
DICTIONARY_LINKS = (
    ("csv", "CSV"),
    ("xlsx", "Excel"),
    ("table-schema", "Table Schema (JSON)"),
)


def size_words(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def attachments_context(view: Overview) -> dict[str, Any]:
    """The Attachments section's words; what it lists comes from the view."""
    opinions = {o.id: o for o in view.opinions}

    def opinion_words(opinion_id: int) -> str:
        o = opinions.get(opinion_id)
        if o is None:
            return "Added to a registered opinion"
        party = view.department(o.department_id)
        who = party.name if party else "another department"
        return f"Added to {who}'s {AREA_LABELS.get(o.area, o.area).lower()} opinion"

    words = [TYPE_WORDS.get(t, t) for t in TYPES]
    return {
        "file_types": ", ".join(words[:-1]) + " or " + words[-1],
        "file_accept": ",".join(f".{t}" for t in TYPES),
        "file_max": f"{MAX_BYTES // 2**20} MB",
        "size_words": size_words,
        "opinion_words": opinion_words,
        "dictionary_links": DICTIONARY_LINKS,
    }
