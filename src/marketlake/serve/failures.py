"""Errors across the Flight wire: marketlake errors to Flight statuses, and back again.

The server never lets a Python traceback reach a client: a request the caller got wrong
becomes ``FlightServerError`` with ``extra_info`` ``{"code": "invalid_argument"}`` and a message
that says what to fix; a lake or manifest failure becomes ``{"code": "unavailable"}``; anything
unexpected is logged in full on the server and reported as a bare ``FlightInternalError``.
The client turns each back into the matching :mod:`marketlake.errors` class.
"""

from __future__ import annotations

import json
import logging

from pyarrow import flight

from marketlake.errors import (
    CatalogError,
    FlightAuthError,
    FlightUnavailableError,
    LakeError,
    MarketlakeError,
    ReadRequestError,
    ServeError,
    TicketError,
)

logger = logging.getLogger(__name__)

INVALID_ARGUMENT = "invalid_argument"
UNAVAILABLE = "unavailable"
_CALLER_ERRORS = (TicketError, ReadRequestError, CatalogError)


def to_flight_error(exc: BaseException, *, request: str) -> flight.FlightError:
    """The Flight error the client sees for ``exc`` (logged here, once, on the server)."""
    if isinstance(exc, flight.FlightError):
        return exc
    if isinstance(exc, _CALLER_ERRORS):
        logger.info("refused %s: %s", request, exc.message)
        return _server_error(exc.message, INVALID_ARGUMENT)
    if isinstance(exc, MarketlakeError):
        logger.error("failed %s: %s", request, exc.message)
        return _server_error(exc.message, UNAVAILABLE)
    logger.error("internal error in %s", request, exc_info=exc)
    return flight.FlightInternalError(f"internal error serving {request}; see the server log")


def from_flight_error(exc: Exception, *, where: str) -> MarketlakeError:
    """The marketlake error a client raises for a Flight (or Arrow) error from ``where``.

    pyarrow raises some statuses as a plain ``OSError`` whose text ends in ``Detail: <code>``
    (``get_schema`` does), so the code is read from the text as well as from the class.
    """
    message = _first_line(str(exc))
    detail = str(exc).rsplit("Detail: ", 1)[-1].strip() if "Detail: " in str(exc) else ""
    auth = isinstance(exc, flight.FlightUnauthenticatedError | flight.FlightUnauthorizedError)
    if auth or detail in ("Unauthenticated", "Unauthorized"):
        return FlightAuthError(f"{where}: {message}")
    unreachable = isinstance(exc, flight.FlightUnavailableError | flight.FlightTimedOutError)
    if unreachable or detail in ("Unavailable", "TimedOut"):
        return FlightUnavailableError(f"{where}: {message}")
    code = _code(getattr(exc, "extra_info", b""))
    if code == INVALID_ARGUMENT:
        return TicketError(message)
    if code == UNAVAILABLE:
        return LakeError(f"{where}: {message}")
    return ServeError(f"{where}: {message}")


def _server_error(message: str, code: str) -> flight.FlightServerError:
    return flight.FlightServerError(message, extra_info=json.dumps({"code": code}).encode())


def _code(extra_info: object) -> str | None:
    if not isinstance(extra_info, bytes) or not extra_info:
        return None
    try:
        body = json.loads(extra_info)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return str(body.get("code")) if isinstance(body, dict) else None


def _first_line(text: str) -> str:
    """The server's message without gRPC's appended ``. Detail: ...`` context."""
    return text.split(". Detail:", 1)[0].split(". gRPC client debug context:", 1)[0].strip()
