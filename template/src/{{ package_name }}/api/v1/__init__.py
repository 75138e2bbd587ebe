"""Version 1 of the HTTP API."""

from .router import router

__all__ = ["router"]
