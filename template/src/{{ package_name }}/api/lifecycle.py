"""What a version's life cycle does to each request: log the version, warn, or refuse.

A pure ASGI middleware rather than a router dependency: it sees every request under a version's
prefix, so the deprecation headers are on errors too (a validation 422, a 404 for a path the
version does not have) and not only on answers that reached an endpoint. It sits inside the
request context middleware, which writes the access line: `api_version` is bound in the same
task, so the access line carries it. A crash answered by that outer middleware (a 500) is the
one response without the deprecation headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .documents import version_document
from .problems import PROBLEM_TYPE_BASE, problem_response
from .versions import ApiVersion

SUNSET_PROBLEM_TYPE = PROBLEM_TYPE_BASE + "api-version-sunset"


def deprecation_header(moment: datetime) -> str:
    """RFC 9745: a structured-field date, `@` and the Unix time in seconds."""
    return f"@{int(moment.timestamp())}"


def sunset_header(moment: datetime) -> str:
    """RFC 8594: an HTTP-date, e.g. `Wed, 01 Jul 2026 00:00:00 GMT`."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def path_patterns(version: ApiVersion) -> tuple[re.Pattern[str], ...]:
    """The version's documented paths without its prefix, as patterns (`{id}`: any segment)."""
    document = version_document(version, title=version.name)
    return tuple(
        re.compile(
            "/".join(
                "[^/]+" if segment.startswith("{") else re.escape(segment)
                for segment in path.removeprefix(version.prefix).split("/")
            )
        )
        for path in document["paths"]
    )


class ApiVersionMiddleware:
    """Binds `api_version` to the logs, adds life-cycle headers, answers 410 after sunset."""

    def __init__(self, app: ASGIApp, versions: Sequence[ApiVersion]) -> None:
        self.app = app
        self.versions = tuple(versions)
        # Built on first use: the successor's paths, to point a client at the same resource.
        self._successor_paths: dict[str, tuple[re.Pattern[str], ...]] = {}

    def version_of(self, path: str) -> ApiVersion | None:
        for version in self.versions:
            if path == version.prefix or path.startswith(version.prefix + "/"):
                return version
        return None

    def lifecycle_headers(self, version: ApiVersion, path: str) -> dict[str, str]:
        """The headers announcing a version's deprecation and sunset; none for a current one."""
        headers: dict[str, str] = {}
        if version.deprecated_on is None:
            return headers
        headers["Deprecation"] = deprecation_header(version.deprecated_on)
        if version.sunset_on is not None:
            headers["Sunset"] = sunset_header(version.sunset_on)
        successor = next((v for v in self.versions if v.name == version.successor), None)
        if successor is not None:
            headers["Link"] = self.successor_link(version, successor, path)
        return headers

    def successor_link(self, version: ApiVersion, successor: ApiVersion, path: str) -> str:
        """The same resource in the successor when it has one, else the successor's docs."""
        if successor.name not in self._successor_paths:
            self._successor_paths[successor.name] = path_patterns(successor)
        relative = path.removeprefix(version.prefix)
        if any(pattern.fullmatch(relative) for pattern in self._successor_paths[successor.name]):
            return f'<{successor.prefix}{relative}>; rel="successor-version"'
        return f'<{successor.prefix}/docs>; rel="successor-version"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        version = self.version_of(scope["path"]) if scope["type"] == "http" else None
        if version is None:
            await self.app(scope, receive, send)
            return

        structlog.contextvars.bind_contextvars(api_version=version.name)
        headers = self.lifecycle_headers(version, scope["path"])
        if version.status(datetime.now(UTC)) == "sunset":
            response = problem_response(
                410,
                f"API {version.name} was retired; use {version.successor or 'a newer version'}",
                instance=scope["path"],
                headers=headers,
                type_=SUNSET_PROBLEM_TYPE,
                title="API version retired",
            )
            await response(scope, receive, send)
            return

        async def send_with_lifecycle(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    # A route may send links of its own (pagination): add ours beside them.
                    if name == "Link":
                        response_headers.append(name, value)
                    else:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_lifecycle)
