"""S3-shaped HTTP response pieces of the stand-in: byte ranges, object headers, error XML.

Pure functions, no I/O: the handler decides what to send, these say how it looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final
from xml.sax.saxutils import escape

from marketlake.mirror.content import ObjectInfo

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_ERROR_MESSAGES = {
    400: ("InvalidArgument", "Invalid argument."),
    404: ("NoSuchKey", "The specified key does not exist."),
    416: ("InvalidRange", "The requested range is not satisfiable"),
    418: ("Banned", "This IP is banned for a while."),
    429: ("TooManyRequests", "Please reduce your request rate."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    502: ("BadGateway", "Bad gateway."),
    503: ("SlowDown", "Please reduce your request rate."),
}


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range of an object."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start + 1


UNSATISFIABLE: Final = ByteRange(0, -1)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range a ``Range`` header asks of ``size`` bytes: None for the whole object.

    Returns :data:`UNSATISFIABLE` when no byte of the object is in the range. A header that
    is not one ``bytes=`` range (several ranges, other units, bad syntax) is ignored, as
    RFC 7233 allows.
    """
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        suffix = int(last)
        return ByteRange(max(0, size - suffix), size - 1) if suffix and size else UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        return UNSATISFIABLE
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)


def error_body(status: int, resource: str, message: str | None = None) -> bytes:
    """An S3-style ``<Error>`` XML document for ``status``."""
    code, default_message = _ERROR_MESSAGES.get(status, ("Error", "Error."))
    tag = "Key" if status in (404, 416) else "Resource"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message or default_message)}</Message>"
        f"<{tag}>{escape(resource)}</{tag}><RequestId>marketlake</RequestId></Error>"
    ).encode()


def object_headers(info: ObjectInfo) -> dict[str, str]:
    """The headers S3 sends with an object (length and range headers aside)."""
    return {
        "Content-Type": "application/zip" if info.key.endswith(".zip") else "text/plain",
        "ETag": f'"{info.etag}"',
        "Last-Modified": format_datetime(_as_utc(info.last_modified), usegmt=True),
        "Accept-Ranges": "bytes",
    }


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
