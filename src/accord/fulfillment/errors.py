"""The error a fulfillment ends with when the data cannot be read as planned.

It lives here rather than in ``accord.errors`` because only fulfillment raises it; every
interface still maps it through the single ``AccordError`` handler.
"""

from __future__ import annotations

from accord.errors import AccordError


class ExtractionFailed(AccordError):
    """The source could not be reached or read, or does not hold what the plan names.

    502 because the fault is in the department's system (or in a catalog entry that no longer
    matches it), not in the request. The message names the source with its password hidden.
    """

    status = 502
    code = "extraction_failed"
