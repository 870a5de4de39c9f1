"""The API's one error shape: every OmtxError (and any other exception) becomes `{"error": {code, message, hint}}`."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from omtx_core import errors
from omtx_core.api.schemas import ErrorBody, ErrorResponse, ProblemOut

log = logging.getLogger(__name__)
IMPORT_TOO_LARGE = "import_too_large"  # an ImportRefused marked so (the upload or what it expands to) → 413
_STATUS: tuple[tuple[type[errors.OmtxError], int], ...] = (
    (errors.InputError, 422),
    (errors.JobNotFound, 404),
    (errors.ArtifactNotFound, 404),
    (errors.LimitExceeded, 429),
    (errors.StoreUnavailable, 503),
    (errors.ImportRefused, 400),
    (errors.IllegalTransition, 409),
    (errors.StaleJobError, 409),
    (errors.StoreRefused, 403),
    (errors.ConfigurationError, 500),
    (errors.EngineError, 503),
)
_HTTP_CODES = {
    404: ("not_found", "Check the path: every route is listed at /docs."),
    405: ("method_not_allowed", "Check the HTTP method: every route is listed at /docs."),
    400: ("request_unreadable", "Send a well-formed body of the content type the route takes (see /docs)."),
}
_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def status_of(exc: errors.OmtxError) -> int:
    if isinstance(exc, errors.ImportRefused) and getattr(exc, IMPORT_TOO_LARGE, False):
        return 413
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)


def error_response(exc: errors.OmtxError) -> JSONResponse:
    """The JSON response of an OmtxError: its code, message and hint (and problems of an invalid input)."""
    problems = None
    if isinstance(exc, errors.InputError):
        problems = [ProblemOut(field=p.field, message=p.message, hint=p.hint) for p in exc.problems]
    body = ErrorBody(code=errors.error_code(exc), message=exc.message, hint=exc.hint, problems=problems)
    headers = {}
    if isinstance(exc, errors.LimitExceeded):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s or 60)))
    content = ErrorResponse(error=body).model_dump(mode="json", exclude_none=True)
    return JSONResponse(content, status_code=status_of(exc), headers=headers)


def request_problems(exc: RequestValidationError) -> errors.InputError:
    """FastAPI's own validation errors (request body, query) as an InputError with field paths and hints."""
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        loc = loc[1:] if loc and loc[0] in _REQUEST_PARTS else loc
        problems += errors._problems_from_error({**error, "loc": loc})
    return errors.InputError(problems or [errors.Problem("", "The request is not valid.", "Check it against /docs.")])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.OmtxError)
    async def _omtx(_request: Request, exc: errors.OmtxError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request_problems(exc))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        """Starlette's own refusals (no such route, wrong method, a body it cannot parse) in the same shape."""
        code, hint = _HTTP_CODES.get(exc.status_code, ("request_refused", "Check the request against /docs."))
        body = ErrorBody(code=code, message=str(exc.detail), hint=hint)
        content = ErrorResponse(error=body).model_dump(mode="json", exclude_none=True)
        return JSONResponse(content, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        error_id = errors.log_unexpected(exc, log)
        body = ErrorBody(
            code="unexpected",
            message=f"Unexpected error ({type(exc).__name__}), error id {error_id}.",
            hint="This is a fault in OMTX-Hub, not in your request: report it with the error id.",
            error_id=error_id,
        )
        return JSONResponse(ErrorResponse(error=body).model_dump(mode="json", exclude_none=True), status_code=500)


ERROR_RESPONSES = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "Refused (e.g. an unsafe import)"),
        (401, "No or unknown API key"),
        (404, "No such job, or not the caller's"),
        (409, "The job's state does not allow it"),
        (413, "Upload too large"),
        (422, "Invalid input: every problem with its field"),
        (429, "Over the rate limit or a cap; see Retry-After"),
        (500, "Unexpected error (with an error id)"),
        (503, "Store unavailable"),
    )
}
