"""The Flight ticket: a small versioned JSON object, validated into a typed :class:`Ticket`.

A ticket names what to read, never how (no SQL, no paths)::

    {"v": 1, "kind": "symbol", "market": "um", "symbols": ["BTCUSDT"], "interval": 5,
     "offset": 0, "begin": "2024-01-01", "end": "2024-02-01T00:00:00Z", "complete_only": false}

``kind`` is ``symbol`` (klines of one or more symbols), ``market`` (klines of every symbol of
a market), ``exginfo`` (the symbols table) or a dataset name (``trades``, ``fundingRate``,
``markPriceKlines``, ...; every symbol unless ``symbol``/``symbols`` is given). ``symbol`` and
``market`` read ``klines`` unless ``dataset`` names another kline dataset. ``trades`` and
``aggTrades`` tickets may ask for bars instead of rows: ``"bars": {"by": "time", "size": "5m"}``
(with an optional ``offset``), ``{"by": "volume", "size": "250.5"}`` (a bar per that much base
volume; the size a string or an integer, never a JSON float) or ``{"by": "tick", "size": 1000}``
(a bar per that many trades); volume and tick bars are counted from ``begin``. ``interval`` is
minutes (an int 1..60) or a string such as ``"4h"``, ``"1d"``; ``offset`` is minutes or a
string and must be shorter than the interval. ``begin``/``end`` are ISO-8601 dates or
datetimes (UTC unless an offset is given) or epoch milliseconds; ``end`` defaults to now and
``begin`` to 90 days before ``end``. Unknown fields, duplicate keys, oversized tickets and bad
values are refused with a :class:`~marketlake.errors.TicketError` that names the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marketlake.catalog import DATASETS, Market, get_dataset
from marketlake.errors import CatalogError, ReadRequestError, TicketError
from marketlake.lake.request import BAR_DATASETS, Bars

TICKET_VERSION = 1
MAX_TICKET_BYTES = 64 * 1024
MAX_SYMBOLS = 2000
DEFAULT_SPAN = timedelta(days=90)
KLINE_KINDS = ("symbol", "market")
SPECIAL_KINDS = (*KLINE_KINDS, "exginfo")

_COMMON = frozenset({"v", "kind", "market"})
_RANGE = frozenset({"begin", "end"})
_BARS = frozenset({"dataset", "interval", "offset", "complete_only"})
_SYMBOLS = frozenset({"symbol", "symbols"})
_TRADE_BARS = frozenset({"bars", "offset"})
_BAR_FIELDS = frozenset({"by", "size"})
_BAR_KINDS = ("time", "volume", "tick")
_DECIMAL_PATTERN = re.compile(r"[0-9]{1,20}(\.[0-9]{1,8})?")
_SYMBOL_PATTERN = re.compile(r"\w{1,40}")
_DURATION_PATTERN = re.compile(r"([1-9][0-9]{0,3})(s|m|h|d|w|M|mo)")
_UNIT_MINUTES = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 7 * 1440}
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TradeBars:
    """Bars a ``trades``/``aggTrades`` ticket asks for: ``by`` time, volume or tick, and
    ``size`` in its canonical form (interval text such as ``"5m"``, a decimal string, or a
    trade count)."""

    by: str
    size: str | int

    def to_bars(self) -> Bars:
        """The read path's bar specification."""
        return Bars.parse(self.by, self.size)


@dataclass(frozen=True)
class Ticket:
    """One validated Flight request: what to read, for which market, symbols and time range.

    ``dataset`` is None only for ``exginfo``; ``symbols`` is None for "every symbol";
    ``interval`` is the canonical text (``"5m"``, ``"4h"``) or None for raw rows; ``bars``
    turns trades into bars (``interval`` stays None);
    ``begin``/``end`` are UTC and always resolved (defaults applied), so a ticket handed out
    by ``get_flight_info`` reads the same rows whenever it is redeemed.
    """

    kind: str
    market: Market
    dataset: str | None = None
    symbols: tuple[str, ...] | None = None
    interval: str | None = None
    offset: timedelta = timedelta(0)
    begin: datetime | None = None
    end: datetime | None = None
    complete_only: bool = False
    bars: TradeBars | None = None

    def to_json(self) -> bytes:
        """The canonical JSON form (``parse_ticket`` of it gives back an equal ticket)."""
        body: dict[str, object] = {"v": TICKET_VERSION, "kind": self.kind}
        body["market"] = self.market.value
        if self.dataset is not None and self.kind in KLINE_KINDS:
            body["dataset"] = self.dataset
        if self.symbols is not None:
            body["symbols"] = list(self.symbols)
        if self.interval is not None:
            body["interval"] = self.interval
            body["offset"] = _format_minutes(self.offset)
            body["complete_only"] = self.complete_only
        if self.bars is not None:
            body["bars"] = {"by": self.bars.by, "size": self.bars.size}
            if self.bars.by == "time":
                body["offset"] = _format_minutes(self.offset)
        if self.begin is not None and self.end is not None:
            body["begin"] = _format_time(self.begin)
            body["end"] = _format_time(self.end)
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def parse_ticket(raw: bytes, *, now: datetime | None = None) -> Ticket:
    """Validate ``raw`` ticket bytes into a :class:`Ticket`; raise ``TicketError`` if bad."""
    if len(raw) > MAX_TICKET_BYTES:
        raise TicketError(f"ticket is {len(raw)} bytes; the limit is {MAX_TICKET_BYTES}")
    try:
        body = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TicketError(f"ticket is not UTF-8 JSON: {exc}") from None
    if not isinstance(body, dict):
        raise TicketError('ticket must be a JSON object such as {"v": 1, "kind": "symbol", ...}')
    return ticket_from_mapping(body, now=now)


def ticket_from_mapping(body: Mapping[str, Any], *, now: datetime | None = None) -> Ticket:
    """Validate a decoded ticket object (see the module docstring for its fields)."""
    if body.get("v") != TICKET_VERSION:
        raise TicketError(f'ticket needs "v": {TICKET_VERSION}, got {body.get("v")!r}')
    kind = _kind(body.get("kind"))
    _refuse_unknown(body, _allowed_fields(kind))
    market = _market(body.get("market"))
    if kind == "exginfo":
        return Ticket(kind=kind, market=market)
    dataset = _dataset(kind, body.get("dataset", "klines"), market)
    symbols = _symbols(body)
    if kind == "symbol" and symbols is None:
        raise TicketError('kind "symbol" needs "symbol" or "symbols"')
    begin, end = _time_range(body.get("begin"), body.get("end"), now or datetime.now(UTC))
    interval, offset = _bars(kind, dataset, body)
    trade_bars = _trade_bars(body)
    if trade_bars is not None and trade_bars.by == "time":
        offset = _bar_offset(body, trade_bars)
    elif "offset" in body and interval is None:
        raise TicketError('"offset" needs an interval: klines, or "bars" by time')
    return Ticket(
        kind=kind,
        market=market,
        dataset=dataset,
        symbols=symbols,
        interval=interval,
        offset=offset,
        begin=begin,
        end=end,
        complete_only=_flag(body.get("complete_only", False), "complete_only"),
        bars=trade_bars,
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise TicketError(f"ticket repeats field(s) {', '.join(repeated)}")
    return dict(pairs)


def _kind(value: object) -> str:
    if not isinstance(value, str) or (value not in SPECIAL_KINDS and value not in DATASETS):
        kinds = ", ".join((*SPECIAL_KINDS, *DATASETS))
        raise TicketError(f"unknown ticket kind {value!r}: expected one of {kinds}")
    return value


def _allowed_fields(kind: str) -> frozenset[str]:
    if kind == "exginfo":
        return _COMMON
    if kind in KLINE_KINDS:
        symbols = _SYMBOLS if kind == "symbol" else frozenset()
        return _COMMON | _RANGE | _BARS | symbols
    bars = _BARS - {"dataset"} if get_dataset(kind).has_interval else frozenset()
    trade_bars = _TRADE_BARS if kind in BAR_DATASETS else frozenset()
    return _COMMON | _RANGE | _SYMBOLS | bars | trade_bars


def _refuse_unknown(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        names = ", ".join(repr(str(name)[:40]) for name in unknown)
        raise TicketError(
            f"unknown ticket field(s) {names} for kind {body['kind']!r}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _market(value: object) -> Market:
    if not isinstance(value, str):
        raise TicketError(f'ticket needs "market" (spot, um, cm or option), got {value!r}')
    try:
        return Market.parse(value)
    except CatalogError as exc:
        raise TicketError(exc.message) from None


def _dataset(kind: str, value: object, market: Market) -> str:
    name = kind if kind not in KLINE_KINDS else value
    if not isinstance(name, str) or name not in DATASETS:
        raise TicketError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")
    spec = get_dataset(name)
    if kind in KLINE_KINDS and not spec.has_interval:
        raise TicketError(f'kind {kind!r} reads kline datasets; use "kind": {name!r} instead')
    try:
        spec.periods_for(market)
    except CatalogError as exc:
        raise TicketError(exc.message) from None
    return name


def _symbols(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    if "symbol" in body and "symbols" in body:
        raise TicketError('give "symbol" or "symbols", not both')
    if "symbol" in body:
        return (_symbol(body["symbol"]),)
    if "symbols" not in body:
        return None
    listed = body["symbols"]
    if not isinstance(listed, list) or not listed:
        raise TicketError('"symbols" must be a non-empty list of symbol names')
    if len(listed) > MAX_SYMBOLS:
        raise TicketError(f'"symbols" lists {len(listed)} names; the limit is {MAX_SYMBOLS}')
    return tuple(dict.fromkeys(_symbol(item) for item in listed))


def _symbol(value: object) -> str:
    if not isinstance(value, str) or _SYMBOL_PATTERN.fullmatch(value) is None:
        shown = repr(value)[:60]
        raise TicketError(f"{shown} is not a symbol: letters, digits and _ only, 1-40 long")
    return value


def _bars(kind: str, dataset: str, body: Mapping[str, Any]) -> tuple[str | None, timedelta]:
    if not get_dataset(dataset).has_interval:
        return None, timedelta(0)
    if "interval" not in body:
        raise TicketError(f'kind {kind!r} needs "interval": minutes 1..60 or text like "4h"')
    interval, length = _interval(body["interval"])
    offset = _offset(body.get("offset", 0))
    if length is not None and offset >= length:
        raise TicketError(f"offset {_format_minutes(offset)} must be shorter than {interval}")
    return interval, offset


def _trade_bars(body: Mapping[str, Any]) -> TradeBars | None:
    """The ``bars`` field of a trades ticket, validated and in canonical form."""
    if "bars" not in body:
        return None
    value = body["bars"]
    if not isinstance(value, dict) or set(value) != _BAR_FIELDS:
        raise TicketError('"bars" must be {"by": "time"|"volume"|"tick", "size": ...}')
    by, size = value["by"], value["size"]
    if by not in _BAR_KINDS:
        raise TicketError(f'bars "by" must be time, volume or tick, got {by!r}'[:120])
    bars = TradeBars(by, _bar_size(by, size))
    try:
        bars.to_bars()
    except ReadRequestError as exc:
        raise TicketError(f"bars: {exc.message}") from None
    return bars


def _bar_size(by: str, size: object) -> str | int:
    if by == "time":
        return _interval(size)[0]
    if by == "tick":
        if isinstance(size, bool) or not isinstance(size, int):
            raise TicketError(f"tick bars need an integer count of trades, got {size!r}"[:120])
        return size
    if isinstance(size, int) and not isinstance(size, bool):
        return str(size)
    if isinstance(size, str) and _DECIMAL_PATTERN.fullmatch(size):
        return size
    raise TicketError(
        f'volume bars need a size as a string such as "250.5" (at most 8 decimals) or an'
        f" integer, got {size!r}"[:160]
    )


def _bar_offset(body: Mapping[str, Any], bars: TradeBars) -> timedelta:
    offset = _offset(body.get("offset", 0))
    length = _interval(bars.size)[1]
    if length is not None and offset >= length:
        raise TicketError(f"offset {_format_minutes(offset)} must be shorter than {bars.size}")
    return offset


def _interval(value: object) -> tuple[str, timedelta | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 60:
            raise TicketError(f"interval {value} minutes is out of range: use 1..60 or text")
        return f"{value}m", timedelta(minutes=value)
    if isinstance(value, str) and (match := _DURATION_PATTERN.fullmatch(value)):
        count, unit = int(match.group(1)), match.group(2)
        if unit in ("M", "mo"):
            return f"{count}{unit}", None
        return value, timedelta(minutes=count * _UNIT_MINUTES[unit])
    raise TicketError(f'interval {value!r} is not valid: use minutes 1..60 or text like "4h"')


def _offset(value: object) -> timedelta:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**6:
        return timedelta(minutes=value)
    if isinstance(value, str) and (match := _DURATION_PATTERN.fullmatch(value)):
        count, unit = int(match.group(1)), match.group(2)
        if unit not in ("M", "mo"):
            return timedelta(minutes=count * _UNIT_MINUTES[unit])
    raise TicketError(f'offset {value!r} is not valid: use minutes (>= 0) or text like "30m"')


def _time_range(begin: object, end: object, now: datetime) -> tuple[datetime, datetime]:
    end_time = _time(end, "end") if end is not None else now
    begin_time = _time(begin, "begin") if begin is not None else end_time - DEFAULT_SPAN
    if begin_time >= end_time:
        raise TicketError(f"begin {_format_time(begin_time)} must be before end")
    return begin_time, end_time


def _time(value: object, name: str) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool):
        moment = _from_millis(value, name)
    elif isinstance(value, str) and 8 <= len(value) <= 40:
        moment = _from_text(value, name)
    else:
        raise TicketError(f"{name} {value!r} is not an ISO-8601 time or epoch milliseconds")
    if not _EARLIEST <= moment < _LATEST:
        raise TicketError(f"{name} {_format_time(moment)} is out of range")
    return moment


def _from_millis(value: int, name: str) -> datetime:
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except OverflowError:
        raise TicketError(f"{name} {value} is out of range") from None


def _from_text(value: str, name: str) -> datetime:
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TicketError(f"{name} {value!r} is not an ISO-8601 date or time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TicketError(f"{name} must be true or false, got {value!r}")
    return value


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _format_minutes(offset: timedelta) -> int | str:
    seconds = int(offset.total_seconds())
    return seconds // 60 if seconds % 60 == 0 else f"{seconds}s"
