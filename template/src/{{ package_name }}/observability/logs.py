"""Structured logging: one configuration for structlog, the stdlib and uvicorn.

Every line is an event dict rendered by the same processors, so a line written by uvicorn, a
library using `logging`, or our own code carries the same keys (timestamp, level, logger and
the request ID bound in contextvars) and parses as one JSON object.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor

LogFormat = Literal["json", "console"]

# Loggers that install their own handlers; we route them to the root instead.
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "celery", "rq.worker")
# Our access line (observability.request_context) replaces uvicorn's, which lacks the route
# template and the request ID; keeping both would double every request in the logs.
_SILENCED_LOGGERS = ("uvicorn.access",)


def _drop_color_message(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """uvicorn puts an ANSI-coloured copy of each message in `color_message`; drop it."""
    event_dict.pop("color_message", None)
    return event_dict


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is when a line is written, not when configured.

    Test runners and process managers may swap stdout after start-up; a handler bound to
    the original stream would write where nobody reads.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _shared_processors() -> list[Processor]:
    """Processors applied to every line, whether it came from structlog or from `logging`."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(log_format: LogFormat = "json", level: str = "INFO") -> None:
    """Send every log line, ours and the libraries', to stdout in one format.

    Safe to call more than once (tests build many apps): each call replaces the handlers.
    """
    shared = _shared_processors()
    renderer: Processor
    if log_format == "console":
        renderer = structlog.dev.ConsoleRenderer()
    else:
        renderer = structlog.processors.JSONRenderer()
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if log_format == "json":
        # JSON readers want the traceback as a string field, not a pretty-printed block.
        final.append(structlog.processors.format_exc_info)
    final.append(renderer)

    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)
    handler = StdoutHandler()
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    for name in _SILENCED_LOGGERS:
        silenced = logging.getLogger(name)
        silenced.handlers.clear()
        silenced.propagate = False

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None, **initial: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger; the one way the service writes a log line."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name, **initial)
    return logger
