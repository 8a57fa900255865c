"""Bearer-token authentication for the Flight server, as a server middleware.

With a token configured, every call (listing, schemas, data, actions) must carry the header
``authorization: Bearer <token>``; anything else is refused with ``UNAUTHENTICATED`` before the
handler runs. The comparison is constant-time; the token is never logged.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from pyarrow import flight

logger = logging.getLogger(__name__)

AUTH_HEADER = "authorization"
SCHEME = "Bearer "


def bearer_header(token: str) -> tuple[bytes, bytes]:
    """The header a client sends to authenticate with ``token``."""
    return AUTH_HEADER.encode(), (SCHEME + token).encode()


class BearerTokenMiddlewareFactory(flight.ServerMiddlewareFactory):  # type: ignore[misc]
    """Refuses every call that does not carry ``Bearer <token>``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        if not token:
            raise ValueError("an empty token would let every call in")
        self._expected = (SCHEME + token).encode()

    def start_call(self, info: Any, headers: dict[str, list[str | bytes]]) -> None:
        """Check the call's headers; raise ``FlightUnauthenticatedError`` when they fail."""
        values = headers.get(AUTH_HEADER, [])
        if len(values) == 1 and hmac.compare_digest(_as_bytes(values[0]), self._expected):
            return
        logger.warning("refused an unauthenticated %s call", _method_name(info))
        raise flight.FlightUnauthenticatedError(
            "this server needs a bearer token: pass token=... (or --token)"
        )


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "replace")


def _method_name(info: Any) -> str:
    method = getattr(info, "method", None)
    return str(getattr(method, "name", method)).lower()
