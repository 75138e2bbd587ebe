"""RFC 9457 problem details: the one shape of every error the service returns.

Clients parse one format whatever went wrong, and every problem carries the request ID so a
support ticket leads straight to the log lines of the failed request.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://problems.{{ project_slug }}.example/"


class ProblemResponse(JSONResponse):
    """A JSON response served as `application/problem+json`."""

    media_type = PROBLEM_CONTENT_TYPE


class Problem(Exception):  # noqa: N818 - raised as `Problem(...)`, it reads as what it returns
    """Raise from any layer to answer with a problem document instead of a generic error."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or problem_type(status)
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions


def problem_type(status: int) -> str:
    """A stable `type` URI per status, so clients can branch on it without parsing text."""
    slug = HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    return PROBLEM_TYPE_BASE + slug


def problem_body(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The members of a problem document, with the request ID of the current request."""
    body: dict[str, Any] = {
        "type": type_ or problem_type(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id is not None:
        body["request_id"] = request_id
    body.update(extensions)
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """A ready-to-send problem response."""
    body = problem_body(status, detail, instance=instance, **extensions)
    return ProblemResponse(body, status_code=status, headers=headers)


async def _on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    body = problem_body(
        exc.status,
        exc.detail,
        type_=exc.type,
        title=exc.title,
        instance=request.url.path,
        **exc.extensions,
    )
    return ProblemResponse(body, status_code=exc.status, headers=exc.headers)


async def _on_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": list(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem_response(
        422,
        "The request does not match the documented schema",
        instance=request.url.path,
        errors=errors,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer framework errors (404, 405, validation) and `Problem` as problem+json.

    Unexpected exceptions are handled one layer out, by the request context middleware, so
    that they are logged with the request ID and still carry `X-Request-ID`.
    """
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
