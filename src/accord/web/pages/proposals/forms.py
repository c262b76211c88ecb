"""Reading the proposal pages' forms, and the notices shown after a change.

The edit form posts one field per question (``q:<key>``) and the legal-authority form one per
governing statute or classification (``a:<key>``); their names come from the form's own table,
so they are read from the posted form rather than declared one by one.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from accord.proposals.states import VERB_LABELS

QUESTION_PREFIX = "q:"
AUTHORITY_PREFIX = "a:"

NOTICES = {
    "started": "Your proposal was started with the fields from your basket. Answer the "
    "questions, state the legal authority, then send it to the provider.",
    "saved": "Your answers were saved as a new version.",
    "unchanged": "Nothing had changed, so no new version was saved.",
    "basket_removed": "Removed from your basket.",
    "basket_emptied": "Your basket is empty.",
    "element_removed": "The field was taken out of the proposal.",
    "element_restored": "The field was put back into the proposal.",
    "marked": "Your minimum-necessary mark was saved.",
    "unmarked": "The minimum-necessary mark was cleared.",
    "justified": "Your answer to the mark was saved.",
    "authority_saved": "The legal authority statements were saved.",
    "commented": "Your comment was added.",
    "change_requested": "Your change request was sent to the other department.",
    "change_accepted": "The change was accepted: the answer changed, as a new version.",
    "change_declined": "The change request was declined.",
    "opinion_registered": "Your registered opinion was saved.",
    "concern_raised": "Your concern was raised; it must be resolved before signatures.",
    "concern_answered": "Your answer to the concern was saved.",
    "concern_resolved": "The concern is resolved.",
    "signed": "You signed the proposal for your department.",
    "final_reviewed": "Your final review is recorded.",
    "attached": "The file was attached.",
} | {f"move_{verb}": f"Done: {label}." for verb, label in VERB_LABELS.items()}


def notice(request: Request) -> str | None:
    """The message named by ``?notice=`` (known keys only: the text never comes from the URL)."""
    return NOTICES.get(request.query_params.get("notice", ""))


ANCHOR = re.compile(r"[a-z][a-z0-9_-]{0,80}")


def done(url: str, key: str, anchor: str = "") -> RedirectResponse:
    """Back to the page after a change; with ``anchor``, to the place of the form that was
    sent, where the page then shows the notice (``at``), so nobody loses their place."""
    if anchor:
        return RedirectResponse(f"{url}?notice={key}&at={anchor}#{anchor}", 303)
    return RedirectResponse(f"{url}?notice={key}", 303)


def notice_at(request: Request) -> str:
    """Where on the page the notice belongs ("" for the top)."""
    at = request.query_params.get("at", "")
    return at if ANCHOR.fullmatch(at) else ""


async def _posted(request: Request) -> dict[str, str]:
    """Every text field of the posted form (the CSRF check has already parsed it)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


Posted = Annotated[dict[str, str], Depends(_posted)]


def prefixed(posted: dict[str, str], prefix: str) -> dict[str, str]:
    """The fields named ``<prefix><key>``, by key, with the browser's CRLF line ends as LF."""
    return {
        k[len(prefix) :]: v.replace("\r\n", "\n") for k, v in posted.items() if k.startswith(prefix)
    }


def same_site(target: str, default: str) -> str:
    """A path on this site to go back to (never another site)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else default
