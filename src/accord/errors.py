"""The error tree every interface maps to a status, a page or an exit code in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, and what to do about it."""

    field: str
    message: str


class AccordError(Exception):
    """Base of the errors a user can be shown; anything else is a bug (500)."""

    status = 400
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def listed(self) -> list[Problem]:
        """The problems a form shows above itself when it is shown again."""
        return [Problem("", self.message)]


class NotFound(AccordError):
    status = 404
    code = "not_found"


class NotAuthenticated(AccordError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(AccordError):
    status = 403
    code = "permission_denied"


class Conflict(AccordError):
    status = 409
    code = "conflict"


class TooManyAttempts(AccordError):
    status = 429
    code = "too_many_attempts"


class ValidationFailed(AccordError):
    """Input was refused; every problem found is listed, not only the first."""

    status = 422
    code = "validation_failed"

    def __init__(
        self, problems: list[Problem], message: str = "The input was not accepted."
    ) -> None:
        super().__init__(message)
        self.problems = problems

    def listed(self) -> list[Problem]:
        return self.problems
