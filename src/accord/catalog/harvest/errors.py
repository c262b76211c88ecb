"""Errors a harvest can end with, on top of the application's error tree.

They live here rather than in ``accord.errors`` because only harvesting and write-back raise
them; each interface still maps them through the single ``AccordError`` handler.
"""

from __future__ import annotations

from accord.errors import AccordError


class SourceUnavailable(AccordError):
    """The source could not be reached or refused the credentials.

    502 because the fault is in the upstream system the user pointed us at, not in the request.
    The message names the source with its password hidden and never echoes the secret.
    """

    status = 502
    code = "source_unavailable"


class WriteBackNotSupported(AccordError):
    """Definitions can be pushed back only into PostgreSQL and MariaDB/MySQL."""

    status = 400
    code = "write_back_not_supported"
