"""What makes two requests "the same request": the fingerprint stored with each key.

A retry must carry the same key and the same request; the same key with another request is a
client bug (a reused key), answered 422 instead of replaying a response to something else.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl


def canonical_body(body: bytes) -> str:
    """JSON with sorted keys and no spacing, so `{"a":1, "b":2}` and `{"b": 2,"a": 1}` match.

    A body that is not JSON is compared byte for byte (as its digest).
    """
    if not body:
        return ""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return "sha256:" + hashlib.sha256(body).hexdigest()
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(
    *,
    method: str,
    route_template: str,
    path: str,
    query_string: bytes,
    body: bytes,
    client: str,
) -> str:
    """A SHA-256 over the method, the route template, the request's path and query parameters,
    the canonical body and the client identity.

    The template names the operation; the concrete path and the query hold its parameters, so
    one key sent to `/orders/1/cancel` and then to `/orders/2/cancel` is two different requests.
    """
    query = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    parts = [method.upper(), route_template, path, query, canonical_body(body), client]
    encoded = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
