"""Version 2 of the HTTP API: list responses are pages, `{"data": [...], "pagination": {...}}`."""

from .router import router

__all__ = ["router"]
