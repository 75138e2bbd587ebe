"""The registry of API versions and how they are mounted on the application.

Versions are routers included in the one application, not mounted sub-applications: every
version shares the middleware, error handlers and dependencies of the app, and its OpenAPI
document is built from the routes under its prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute

from .v1 import router as v1_router

VersionStatus = Literal["current", "deprecated", "sunset"]


@dataclass(frozen=True)
class ApiVersion:
    """One published version of the API."""

    name: str
    router: APIRouter
    status: VersionStatus = "current"

    @property
    def prefix(self) -> str:
        return f"/api/{self.name}"


VERSIONS: tuple[ApiVersion, ...] = (ApiVersion("v1", v1_router),)


def openapi_document(app: FastAPI, version: ApiVersion) -> dict[str, Any]:
    """The OpenAPI document of one version: only the routes under its prefix."""
    routes = [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith(version.prefix + "/")
    ]
    return get_openapi(
        title=f"{app.title} API {version.name}",
        version=version.name,
        description=app.description,
        routes=routes,
    )


def _add_version_docs(app: FastAPI, version: ApiVersion) -> None:
    cache: dict[str, Any] = {}
    openapi_path = f"{version.prefix}/openapi.json"

    async def openapi_json() -> JSONResponse:
        if not cache:
            cache.update(openapi_document(app, version))
        return JSONResponse(cache)

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_path, title=f"{app.title} {version.name}")

    app.add_api_route(openapi_path, openapi_json, include_in_schema=False)
    app.add_api_route(f"{version.prefix}/docs", swagger_ui, include_in_schema=False)


def install_api(app: FastAPI, versions: tuple[ApiVersion, ...] = VERSIONS) -> None:
    """Include every version's router under its prefix, with its own contract and docs."""
    for version in versions:
        app.include_router(version.router, prefix=version.prefix)
        _add_version_docs(app, version)
