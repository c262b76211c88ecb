"""Errors a fulfillment can end with, on top of the application's error tree.

They live here rather than in ``accord.errors`` because only fulfillment raises them; each
interface still maps them through the single ``AccordError`` handler.
"""

from __future__ import annotations

from accord.errors import AccordError


class DeliveryFailed(AccordError):
    """A finished package could not be handed to the recipient's server.

    502 because the fault is in the upstream system the recipient pointed us at, not in the
    request. The message gives a plain reason a data engineer can act on (refused, timed out,
    host key mismatch, permission denied...) and never echoes a credential.
    """

    status = 502
    code = "delivery_failed"
