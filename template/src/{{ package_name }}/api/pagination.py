"""Cursor pagination: opaque cursors over an increasing integer key.

The cursor is the last key of a page, encoded so that clients treat it as a token: the service
can change what it holds (a timestamp, a compound key) without a new API version.
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import BaseModel, Field

from .problems import PROBLEM_TYPE_BASE, Problem

INVALID_CURSOR_TYPE = PROBLEM_TYPE_BASE + "invalid-cursor"
_CURSOR_TEXT = re.compile(r"after:(\d{1,18})")
# Keys are integer primary keys; a larger one was never issued and would overflow the column.
_MAX_KEY = 2**31 - 1


class Pagination(BaseModel):
    limit: int = Field(description="The page size used")
    next_cursor: str | None = Field(description="`cursor` of the next page; null on the last page")


def encode_cursor(last_key: int) -> str:
    """The cursor of the page that follows the row with `last_key`."""
    return base64.urlsafe_b64encode(f"after:{last_key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The key a cursor continues after; a 400 problem for anything this service did not issue."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR_TEXT.fullmatch(text)
    if match is None or int(match.group(1)) > _MAX_KEY:
        raise Problem(
            400,
            "cursor is not one this service returned; start again without it",
            type_=INVALID_CURSOR_TYPE,
            title="Invalid cursor",
        )
    return int(match.group(1))
