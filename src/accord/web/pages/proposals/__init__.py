"""Proposal (BUCP) pages: the request basket, the department's proposals, one proposal's page
and what is done on it, its attachments, the form, versions, and the public-records release.

Handlers only translate between forms and the ``accord.proposals`` services; what a person may
read and do is decided there. Every view of restricted content is written to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.pages.proposals import (
    actions,
    attachments,
    basket,
    editing,
    listing,
    page,
    records,
)

router = APIRouter(include_in_schema=False)
for _module in (basket, listing, page, actions, attachments, editing, records):
    router.include_router(_module.router)
