"""The one exception tree of marketlake.

Every error a user can see is a :class:`MarketlakeError`; third-party exceptions
(httpx, pyarrow, psycopg, sqlite3) are translated at the boundary with
``raise ... from exc``. Each error is either *transient* (worth retrying: the next
attempt may succeed) or *terminal* (retrying the same input gives the same answer);
runners decide retry versus fail by that flag, never by message text::

    MarketlakeError
    ├── ConfigError                 bad settings, flags or DSNs            (terminal)
    ├── CatalogError                a name the archive does not have       (terminal)
    │   └── ArchiveKeyError         a key that does not follow the grammar (terminal)
    ├── SourceError                 talking to the archive or a mirror
    │   ├── TransientSourceError    5xx, reset, timeout, truncated body    (transient)
    │   │   └── RateLimitedError    429 with Retry-After                   (transient)
    │   ├── BannedError             418: the IP is banned, stop the run    (terminal)
    │   ├── NotFoundError           404/410: the file is not published     (terminal)
    │   └── HttpStatusError         any other unexpected status            (terminal)
    ├── IntegrityError              bytes that cannot be trusted
    │   ├── ChecksumMismatchError   sha256 differs from the CHECKSUM file  (terminal)
    │   ├── MissingChecksumError    a zip published without its CHECKSUM   (terminal)
    │   ├── CorruptArchiveError     not a readable single-member zip       (terminal)
    │   └── MalformedDataError      a CSV row that does not fit the schema (terminal)
    ├── ManifestError               the state store                        (terminal)
    │   └── ManifestNotInitializedError  no schema yet: run `db init`     (terminal)
    ├── LakeError                   writing or reading the Parquet lake    (terminal)
    └── MirrorError                 the local archive stand-in             (terminal)
"""

from __future__ import annotations


class MarketlakeError(Exception):
    """Base of every error marketlake raises."""

    transient: bool = False

    def __init__(self, message: str, *, url: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.key = key


class ConfigError(MarketlakeError):
    """Settings, flags or a DSN that cannot be used."""


class CatalogError(MarketlakeError):
    """A market, dataset, interval or period the archive does not have."""


class ArchiveKeyError(CatalogError):
    """A key or file name that does not follow the archive's key grammar."""


class SourceError(MarketlakeError):
    """Failure talking to the archive (or a mirror of it)."""


class TransientSourceError(SourceError):
    """A failure the next attempt may not see: 5xx, reset, timeout, truncated body."""

    transient = True


class RateLimitedError(TransientSourceError):
    """HTTP 429: back off for ``retry_after`` seconds before the next request."""

    def __init__(self, message: str, *, retry_after: float, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after


class BannedError(SourceError):
    """HTTP 418: the server banned this IP for a while; the run must stop."""


class NotFoundError(SourceError):
    """HTTP 404/410: the file is not (or no longer) published."""


class HttpStatusError(SourceError):
    """An HTTP status marketlake has no rule for."""

    def __init__(self, message: str, *, status: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class IntegrityError(MarketlakeError):
    """Bytes that cannot be trusted; never recorded as done."""


class ChecksumMismatchError(IntegrityError):
    """The zip's sha256 differs from its CHECKSUM file."""


class MissingChecksumError(IntegrityError):
    """A zip is published without its CHECKSUM file, so it cannot be verified."""


class CorruptArchiveError(IntegrityError):
    """The zip cannot be read, or does not hold exactly one CSV member."""


class MalformedDataError(IntegrityError):
    """A CSV row does not fit the dataset's schema (column count, type, precision)."""


class ManifestError(MarketlakeError):
    """The manifest (state store) failed or holds something unexpected."""


class ManifestNotInitializedError(ManifestError):
    """The manifest has no schema yet: run `marketlake db init`."""


class LakeError(MarketlakeError):
    """Writing or reading the Parquet lake failed."""


class MirrorError(MarketlakeError):
    """The local archive stand-in cannot serve what was asked."""
