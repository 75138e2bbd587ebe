"""A response as it is stored with its key, and replayed to every retry.

Kept: the status, the headers a client acts on (the content type and the location of what was
created) and the body byte for byte. The consistency token is stored beside it (it is known
only once the write committed); the request ID and life-cycle headers are the retry's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.responses import Response

REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = frozenset({"content-type", "location"})


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def of(
        cls, status: int, raw_headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> StoredResponse:
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in raw_headers
            if name.decode("latin-1").lower() in KEPT_HEADERS
        ]
        return cls(status=status, headers=headers, body=body)

    @property
    def storable(self) -> bool:
        """2xx and 4xx outcomes are final; a 5xx releases the key so that a retry runs again."""
        return self.status < 500

    def replay(self) -> Response:
        """The stored response again, marked as a replay."""
        response = Response(content=self.body, status_code=self.status)
        for name, value in self.headers:
            response.headers.append(name, value)
        response.headers[REPLAYED_HEADER] = "true"
        return response
