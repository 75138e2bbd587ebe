"""Who is calling: one client identity, shared by every mechanism that keys on the caller.

Read-your-writes uses it to remember which client wrote recently; idempotency keys are scoped
by it, so two clients that happen to pick the same key never see each other's responses.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers
from starlette.types import Scope


def client_identity(scope: Scope) -> str:
    """`bearer:<digest>` for a request with a bearer token, else `address:<remote address>`.

    The token is hashed: identities are kept in memory and may be logged, credentials must not.
    Behind a proxy the remote address is the proxy's unless uvicorn trusts its forwarded headers
    (`serve` enables `proxy_headers`).
    """
    authorization = Headers(scope=scope).get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            digest = hashlib.sha256(credentials.encode("utf-8")).hexdigest()[:32]
            return f"bearer:{digest}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"
