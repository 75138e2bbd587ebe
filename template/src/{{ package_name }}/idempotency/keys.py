"""The `Idempotency-Key` header: a bare token (as Stripe takes it) or an RFC 8941 string.

The IETF draft (draft-ietf-httpapi-idempotency-key-header) defines the value as a structured
field string, `"8e03978e-40d5-43e8-bc93-6894a57f9324"`; most clients send the bare token. Both
name the same key: `abc` and `"abc"` are one key.
"""

from __future__ import annotations

import re

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

# Printable ASCII, space included (RFC 8941 strings allow it); no control characters.
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
# A structured-field string: quotes around characters where `"` and `\` are escaped.
_QUOTED = re.compile(r'"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_ESCAPE = re.compile(r'\\(["\\])')


class InvalidKeyError(ValueError):
    """The header is missing or is not a key this service accepts; the message says why."""


def parse_key(values: list[str]) -> str:
    """The key that the `Idempotency-Key` header values name, or `InvalidKeyError`.

    `values` holds every occurrence of the header (latin-1 decoded), so that a request that
    sends two keys is refused rather than silently using one of them.
    """
    if not values:
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY_HEADER} is required on every mutation")
    if len(values) > 1:
        raise InvalidKeyError(f"send one {IDEMPOTENCY_KEY_HEADER} header, not {len(values)}")
    raw = values[0].strip(" \t")
    if not _PRINTABLE.fullmatch(raw):
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY_HEADER} must be printable ASCII")
    key = raw
    if raw.startswith('"'):
        quoted = _QUOTED.fullmatch(raw)
        if quoted is None:
            raise InvalidKeyError(f"{IDEMPOTENCY_KEY_HEADER} is not a valid quoted string")
        key = _ESCAPE.sub(r"\1", quoted.group(1))
    if not key.strip():
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY_HEADER} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKeyError(
            f"{IDEMPOTENCY_KEY_HEADER} must be at most {MAX_KEY_LENGTH} characters"
        )
    return key
