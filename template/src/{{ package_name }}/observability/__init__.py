"""Decision 4: structured logs with a request ID on every line, and health endpoints.

- `logs`: structlog configuration; the stdlib root logger and uvicorn go through it too.
- `request_context`: the ASGI middleware that assigns the request ID, writes the access line
  and turns an unhandled exception into a logged 500 problem.
- `health`: `/health` (liveness) and `/ready` (dependencies, application/health+json).
"""

from .logs import configure_logging, get_logger

__all__ = ["configure_logging", "get_logger"]
