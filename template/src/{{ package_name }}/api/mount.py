"""`install_api()`: every version on the one application, with its contract and life cycle.

Versions are routers included in the application, not mounted sub-applications: each shares
the middleware, error handlers and dependencies of the app, and its OpenAPI document is built
from the routes under its prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from . import versions as registry
from .documents import add_version_docs, include_version
from .index import version_index_router
from .lifecycle import ApiVersionMiddleware
from .versions import ApiVersion


def install_api(app: FastAPI, versions: Sequence[ApiVersion] | None = None) -> None:
    """Include each version under `/api/vN`, its docs, `GET /api` and the life-cycle middleware.

    Call it before adding the request context middleware, so that middleware stays outermost
    and its access line sees the `api_version` this one binds.
    """
    # Looked up when called, so a test can swap in a registry with other dates.
    installed = tuple(registry.VERSIONS if versions is None else versions)
    app.state.api_versions = installed
    for version in installed:
        include_version(app, version)
        add_version_docs(app, version)
    app.include_router(version_index_router(installed))
    app.add_middleware(ApiVersionMiddleware, versions=installed)
