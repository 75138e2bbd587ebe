"""One OpenAPI document per version, built from the version's router, and its docs page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute

from .problems import PROBLEM_RESPONSES, problem_schemas
from .versions import ApiVersion


def include_version(target: FastAPI | APIRouter, version: ApiVersion) -> None:
    """Include a version's router under its prefix; every route documents problem+json errors."""
    target.include_router(version.router, prefix=version.prefix, responses=PROBLEM_RESPONSES)


def version_routes(version: ApiVersion) -> list[BaseRoute]:
    """The version's routes exactly as `install_api` includes them in the application."""
    included = APIRouter()
    include_version(included, version)
    return included.routes


def version_document(
    version: ApiVersion, *, title: str, description: str | None = None
) -> dict[str, Any]:
    """The contract of one version: its routes, and the schema every error follows."""
    document = get_openapi(
        title=title, version=version.name, description=description, routes=version_routes(version)
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in problem_schemas().items():
        schemas.setdefault(name, schema)
    return document


def openapi_document(app: FastAPI, version: ApiVersion) -> dict[str, Any]:
    """The document `/api/vN/openapi.json` serves and `api freeze` commits."""
    return version_document(
        version, title=f"{app.title} API {version.name}", description=app.description
    )


def add_version_docs(app: FastAPI, version: ApiVersion) -> None:
    """Serve `/api/vN/openapi.json` (built once, on first request) and `/api/vN/docs`."""
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
