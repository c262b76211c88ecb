"""Errors a fulfillment can end with, on top of the application's error tree.

They live here rather than in ``accord.errors`` because only fulfillment raises them; each
interface still maps them through the single ``AccordError`` handler.
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


class DeliveryFailed(AccordError):
    """A finished package could not be handed to the recipient's server.

    502 because the fault is in the upstream system the recipient pointed us at, not in the
    request. The message gives a plain reason a data engineer can act on (refused, timed out,
    host key mismatch, permission denied...) and never echoes a credential.
    """

    status = 502
    code = "delivery_failed"
