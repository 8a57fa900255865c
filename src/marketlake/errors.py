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
    │   ├── UnverifiedStreamError   a streamed zip whose download ended unverified (terminal)
    │   └── MalformedDataError      a CSV row that does not fit the schema (terminal)
    ├── ManifestError               the state store                        (terminal)
    │   └── ManifestNotInitializedError  no schema yet: run `db init`     (terminal)
    ├── LakeError                   writing or reading the Parquet lake    (terminal)
    │   ├── ReadRequestError        a read asking for something invalid    (terminal)
    │   └── QueryError              SQL over the lake that cannot run      (terminal)
    ├── MirrorError                 the local archive stand-in             (terminal)
    ├── WarehouseError              the ClickHouse warehouse (chDB or a server) (terminal)
    │   ├── WarehouseUnavailableError  the server cannot be reached        (transient)
    │   ├── WarehouseAuthError      bad credentials or missing grants      (terminal)
    │   ├── WarehouseSchemaError    a table that drifted from the lake's schema (terminal)
    │   └── WarehouseQueryError     SQL the warehouse refused              (terminal)
    └── ServeError                  the Arrow Flight server or client      (terminal)
        ├── TicketError             a malformed, oversized or invalid ticket (terminal)
        ├── FlightAuthError         a call without the right bearer token  (terminal)
        └── FlightUnavailableError  the server cannot be reached           (transient)
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


class UnverifiedStreamError(IntegrityError):
    """A zip decoded as it streamed in ended without a verified download: nothing is written."""


class MalformedDataError(IntegrityError):
    """A CSV row does not fit the dataset's schema (column count, type, precision)."""


class ManifestError(MarketlakeError):
    """The manifest (state store) failed or holds something unexpected."""


class ManifestNotInitializedError(ManifestError):
    """The manifest has no schema yet: run `marketlake db init`."""


class LakeError(MarketlakeError):
    """Writing or reading the Parquet lake failed."""


class ReadRequestError(LakeError):
    """A read names a symbol, interval, date, dataset or column that is invalid or unsafe."""


class QueryError(LakeError):
    """A SQL query over the lake failed (syntax, unknown view or column, bad parameter)."""


class MirrorError(MarketlakeError):
    """The local archive stand-in cannot serve what was asked."""


class WarehouseError(MarketlakeError):
    """The ClickHouse warehouse (embedded chDB or a server) failed."""


class WarehouseUnavailableError(WarehouseError):
    """The ClickHouse server cannot be reached (down, wrong address, network)."""

    transient = True


class WarehouseAuthError(WarehouseError):
    """The ClickHouse server refused the credentials, or the user lacks a grant."""


class WarehouseSchemaError(WarehouseError):
    """A warehouse table's columns, engine or keys differ from what marketlake creates."""


class WarehouseQueryError(WarehouseError):
    """A query the warehouse refused (syntax, unknown table, unbound parameter)."""


class ServeError(MarketlakeError):
    """Serving the lake over Arrow Flight (or reading from such a server) failed."""


class TicketError(ServeError):
    """A Flight ticket that is malformed, too large, or asks for something invalid."""


class FlightAuthError(ServeError):
    """A Flight call without the bearer token the server requires (or with a wrong one)."""


class FlightUnavailableError(ServeError):
    """The Flight server cannot be reached (not started, wrong address, TLS mismatch)."""

    transient = True
