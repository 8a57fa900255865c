"""The server's actions (``ping``, ``ready``, ``list_actions``) and their JSON replies.

Both ends share these value objects: the server builds them and sends ``to_json()``, the
client reads them back with ``from_json``. ``ready`` takes a market name as its body (``um``)
and answers per dataset whether data is present and how fresh it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marketlake import __version__
from marketlake.catalog import Market
from marketlake.errors import CatalogError, ServeError, TicketError
from marketlake.serve.inventory import StoredData

ACTIONS: dict[str, str] = {
    "ping": "Liveness: answers {ok, version, time} at once; no body.",
    "ready": "Readiness of one market (body: its name, e.g. um): per dataset the rows present, "
    "the last row's time and its lag behind now.",
    "list_actions": "This list, as JSON [{type, description}].",
}


@dataclass(frozen=True)
class Pong:
    """The reply to ``ping``: the server's version and clock."""

    version: str
    time: datetime

    def to_json(self) -> bytes:
        """The reply as JSON bytes."""
        return _dumps({"ok": True, "version": self.version, "time": _iso(self.time)})

    @classmethod
    def from_json(cls, data: bytes) -> Pong:
        """Read a reply sent by ``to_json``."""
        body = _loads(data)
        return cls(version=str(body["version"]), time=_parse_iso(body["time"]))


@dataclass(frozen=True)
class DatasetFreshness:
    """How much of one dataset (and interval) a market holds and how recent its last row is."""

    name: str
    rows: int
    symbols: int
    first: datetime
    last: datetime
    lag_seconds: float


@dataclass(frozen=True)
class Readiness:
    """The reply to ``ready``: a market is ready when any data is present."""

    market: Market
    checked_at: datetime
    datasets: tuple[DatasetFreshness, ...]

    @property
    def ready(self) -> bool:
        """True when the market has any rows to serve."""
        return any(d.rows > 0 for d in self.datasets)

    def to_json(self) -> bytes:
        """The reply as JSON bytes."""
        return _dumps(
            {
                "market": self.market.value,
                "ready": self.ready,
                "checked_at": _iso(self.checked_at),
                "datasets": [_freshness_body(d) for d in self.datasets],
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Readiness:
        """Read a reply sent by ``to_json``."""
        body = _loads(data)
        return cls(
            market=Market.parse(body["market"]),
            checked_at=_parse_iso(body["checked_at"]),
            datasets=tuple(_freshness(item) for item in body["datasets"]),
        )


def pong(now: datetime) -> Pong:
    """The reply to ``ping``."""
    return Pong(version=__version__, time=now)


def readiness(market: Market, stored: list[StoredData], now: datetime) -> Readiness:
    """The readiness of ``market`` from what the lake holds."""
    datasets = tuple(
        DatasetFreshness(
            name=item.name,
            rows=item.rows,
            symbols=len(item.symbols),
            first=item.first,
            last=item.last,
            lag_seconds=round((now - item.last).total_seconds(), 3),
        )
        for item in stored
        if item.market is market
    )
    return Readiness(market=market, checked_at=now, datasets=datasets)


def market_of_body(body: bytes) -> Market:
    """The market a ``ready`` action names in its body (``um`` or ``{"market": "um"}``)."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("market", ""))
        except (json.JSONDecodeError, AttributeError):
            raise TicketError('ready needs a market name, e.g. "um"') from None
    try:
        return Market.parse(text)
    except CatalogError as exc:
        raise TicketError(f"ready: {exc.message}") from None


def actions_body() -> bytes:
    """The reply to ``list_actions`` as a JSON list."""
    return _dumps([{"type": name, "description": text} for name, text in ACTIONS.items()])


def now_utc() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def _freshness_body(item: DatasetFreshness) -> dict[str, object]:
    return {
        "name": item.name,
        "rows": item.rows,
        "symbols": item.symbols,
        "first": _iso(item.first),
        "last": _iso(item.last),
        "lag_seconds": item.lag_seconds,
    }


def _freshness(body: dict[str, Any]) -> DatasetFreshness:
    return DatasetFreshness(
        name=str(body["name"]),
        rows=int(body["rows"]),
        symbols=int(body["symbols"]),
        first=_parse_iso(body["first"]),
        last=_parse_iso(body["last"]),
        lag_seconds=float(body["lag_seconds"]),
    )


def _dumps(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _loads(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ServeError(f"the server sent a reply that is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ServeError("the server sent a reply that is not a JSON object")
    return body


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse_iso(text: object) -> datetime:
    return datetime.fromisoformat(str(text)).astimezone(UTC)
