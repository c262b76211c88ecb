"""Every error becomes one JSON shape on the API and one friendly page elsewhere; no traces."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.errors import AccordError, Problem, ValidationFailed
from accord.lifecycle import InvalidTransition
from accord.web.deps import UNSAFE, LoginRequired, is_api
from accord.web.render import render

log = logging.getLogger("accord.web")

TITLES = {
    400: "That request could not be read",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "Not possible now",
    422: "Please check the form",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


def error_body(
    code: str,
    message: str,
    problems: list[Problem] | None = None,
    **details: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, **details}
    if problems:
        body["problems"] = [{"field": p.field, "message": p.message} for p in problems]
    return {"error": body}


def respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    problems: list[Problem] | None = None,
    **details: Any,
) -> Response:
    if is_api(request) or request.url.path == "/openapi.json":
        return JSONResponse(error_body(code, message, problems, **details), status_code=status)
    return render(
        request,
        "error.html",
        {
            "title": TITLES.get(status, "Error"),
            "message": message,
            "problems": problems or [],
            "status": status,
        },
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return respond(request, 401, exc.code, exc.message)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> Response:
        problems = exc.problems if isinstance(exc, ValidationFailed) else None
        details = {}
        if isinstance(exc, InvalidTransition):  # what a client needs to offer the right moves
            details = {"lifecycle": exc.lifecycle, "state": exc.state, "verb": exc.verb}
        return respond(request, exc.status, exc.code, exc.message, problems, **details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return respond(request, 400, "malformed_json", "The request body is not valid JSON.")
        problems = [
            Problem(".".join(str(p) for p in e.get("loc", ()) if p != "body"), str(e.get("msg")))
            for e in errors
        ]
        return respond(request, 422, "validation_failed", "The input was not accepted.", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: "There is nothing at this address.",
            405: "That method is not allowed here.",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return respond(request, exc.status_code, code, message)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # DBAPI's DataError is bad input by definition (too long for its column, out of
        # range, a NUL character): the request's transaction was rolled back.
        return respond(
            request,
            422,
            "invalid_value",
            "A value cannot be stored: it is too long, out of range, or contains a NUL "
            "character. Nothing was saved.",
        )

    @app.exception_handler(ResponseValidationError)
    async def answer_not_built(request: Request, exc: ResponseValidationError) -> Response:
        # A defect, but not "nothing was changed": an API change commits before its answer
        # is checked (web/api/routing.py), so a client told otherwise would send it again.
        request_id = getattr(request.state, "request_id", "")
        log.error("answer of %s not built (request %s): %s", request.url.path, request_id, exc)
        done = (
            "The change was saved, but Accord could not build its answer: do not send it again."
            if request.method in UNSAFE
            else "Accord could not build its answer; nothing was changed."
        )
        return respond(
            request,
            500,
            "internal_error",
            f"{done} The request id {request_id} identifies it in the server log.",
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception(
            "unhandled error on %s (request %s)",
            request.url.path,
            getattr(request.state, "request_id", "?"),
        )
        return respond(
            request,
            500,
            "internal_error",
            "Accord hit an unexpected problem; nothing was changed. The request id "
            f"{getattr(request.state, 'request_id', '')} identifies it in the server log.",
        )
