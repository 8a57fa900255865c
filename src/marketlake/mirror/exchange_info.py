"""The stand-in's exchange-info REST endpoints, generated from the universe as of ``now``.

    GET /api/v3/exchangeInfo[?symbol=X | ?symbols=["X","Y"]]   spot
    GET /fapi/v1/exchangeInfo                                   USD-M futures
    GET /dapi/v1/exchangeInfo                                   COIN-M futures
    GET /eapi/v1/exchangeInfo                                   options

Documents have Binance's shapes: ``symbols[]`` with ``status`` (COIN-M: ``contractStatus``),
assets, precisions and ``filters`` (``PRICE_FILTER`` tickSize, ``LOT_SIZE`` stepSize, spot
``NOTIONAL`` minNotional, USD-M ``MIN_NOTIONAL`` notional); futures add ``pair``,
``contractType``, ``onboardDate``, ``deliveryDate`` and ``marginAsset``; options answer
``optionContracts`` / ``optionAssets`` / ``optionSymbols``. Numbers are strings as Binance
writes them (spot with 8 decimals, futures at the instrument's precision).

Life cycle, as the real endpoints show it (a symbol's ``listed``/``delisted`` days come from
:mod:`marketlake.mirror.universe`):

- spot: ``TRADING``; a delisted pair stays with status ``BREAK``; not yet listed: absent.
- futures perpetuals: ``TRADING``; ``PENDING_TRADING`` up to a week before listing; a delisted
  perpetual stays with ``SETTLING``.
- delivery contracts: ``TRADING`` (``CURRENT_QUARTER``/``NEXT_QUARTER``) until their delivery
  day; delivered contracts are absent.
- COIN-M index folders (``BTCUSD``) are no symbol: they are the ``pair`` of the contracts.
- options: one ``optionContracts`` entry per underlying, and a call and a put per underlying
  expiring the Friday after ``now``; the BVOL indexes are not tradable and absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

from marketlake.catalog import Market
from marketlake.catalog.symbols import DELIVERY_TIME, parse_symbol
from marketlake.mirror.content import ArchiveContent
from marketlake.mirror.exchange_symbols import (
    Document,
    futures_symbol,
    ms,
    option_symbol,
    spot_symbol,
)
from marketlake.mirror.universe import ASSET_HORIZON, ASSETS, Contract, Instrument, Universe

REST_PATHS: Mapping[str, Market] = {
    "/api/v3/exchangeInfo": Market.SPOT,
    "/fapi/v1/exchangeInfo": Market.UM,
    "/dapi/v1/exchangeInfo": Market.CM,
    "/eapi/v1/exchangeInfo": Market.OPTION,
}
PENDING_DAYS = 7
"""Futures listed at most this many days after ``now`` show as ``PENDING_TRADING``."""

_WEIGHTS = {Market.SPOT: 20, Market.UM: 1, Market.CM: 1, Market.OPTION: 1}


def _limit(kind: str, interval: str, number: int, limit: int) -> Document:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": number, "limit": limit}


_RATE_LIMITS: Mapping[Market, list[Document]] = {
    Market.SPOT: [
        _limit("REQUEST_WEIGHT", "MINUTE", 1, 6000),
        _limit("ORDERS", "SECOND", 10, 100),
        _limit("ORDERS", "DAY", 1, 200000),
        _limit("RAW_REQUESTS", "MINUTE", 5, 61000),
    ],
    Market.UM: [
        _limit("REQUEST_WEIGHT", "MINUTE", 1, 2400),
        _limit("ORDERS", "MINUTE", 1, 1200),
        _limit("ORDERS", "SECOND", 10, 300),
    ],
    Market.CM: [
        _limit("REQUEST_WEIGHT", "MINUTE", 1, 2400),
        _limit("ORDERS", "MINUTE", 1, 1200),
    ],
    Market.OPTION: [
        _limit("REQUEST_WEIGHT", "MINUTE", 1, 400),
        _limit("ORDERS", "SECOND", 10, 100),
        _limit("ORDERS", "MINUTE", 1, 1200),
    ],
}


@dataclass(frozen=True)
class RestAnswer:
    """One REST response: status, JSON body and extra headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]


class StandInExchangeInfo:
    """Exchange-info documents of ``universe`` as the exchange shows them on day ``now``."""

    def __init__(
        self, universe: Universe, now: date, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.universe = universe
        self.now = now
        self._clock = clock or (lambda: datetime.now(UTC))

    def answer(self, path: str, query: str) -> RestAnswer:
        """The response to ``GET path?query`` (``path`` one of :data:`REST_PATHS`)."""
        market = REST_PATHS[path]
        headers = {"X-MBX-USED-WEIGHT-1M": str(_WEIGHTS[market])}
        document: Document | None = self.document(market)
        wanted = _wanted_symbols(query) if market is Market.SPOT else None
        if document is not None and wanted is not None:
            document = _only(document, wanted)
        if document is None:
            error = {"code": -1121, "msg": "Invalid symbol."}
            return RestAnswer(400, json.dumps(error).encode(), headers)
        return RestAnswer(200, json.dumps(document, ensure_ascii=False).encode(), headers)

    def server_time(self) -> datetime:
        """``now`` at the current UTC time of day."""
        return datetime.combine(self.now, self._clock().timetz()).astimezone(UTC)

    def document(self, market: Market) -> Document:
        """The whole exchange-info document of ``market``."""
        head: Document = {
            "timezone": "UTC",
            "serverTime": ms(self.server_time()),
            "rateLimits": _RATE_LIMITS[market],
        }
        if market is Market.OPTION:
            return {**head, **self._options()}
        symbols = [s for i in self.universe.symbols(market) if (s := self._symbol(i)) is not None]
        body: Document = {"exchangeFilters": [], "symbols": symbols}
        if market is Market.UM:
            margins = sorted({str(s["marginAsset"]) for s in symbols})
            body["assets"] = [
                {"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"}
                for a in margins
            ]
        return {**head, **body}

    def _symbol(self, instrument: Instrument) -> Document | None:
        if instrument.market is Market.SPOT:
            status = _spot_status(instrument, self.now)
            return None if status is None else spot_symbol(instrument, status)
        if instrument.contract not in (Contract.PERPETUAL, Contract.DELIVERY):
            return None
        status = _futures_status(instrument, self.now)
        if status is None:
            return None
        return futures_symbol(instrument, status, self._contract_type(instrument))

    def _contract_type(self, instrument: Instrument) -> str:
        if instrument.contract is Contract.PERPETUAL:
            return "PERPETUAL"
        pair = parse_symbol(instrument.market, instrument.symbol).pair
        pending = sorted(
            i.delisted
            for i in self.universe.symbols(instrument.market)
            if i.contract is Contract.DELIVERY
            and i.delisted is not None
            and i.delisted >= self.now
            and parse_symbol(i.market, i.symbol).pair == pair
        )
        current = bool(pending) and pending[0] == instrument.delisted
        return "CURRENT_QUARTER" if current else "NEXT_QUARTER"

    def _options(self) -> Document:
        underlyings = [
            i
            for i in self.universe.symbols(Market.OPTION)
            if i.contract is Contract.OPTION_UNDERLYING and i.listed <= self.now
        ]
        contracts: list[Document] = []
        symbols: list[Document] = []
        expiry = _next_friday(self.now)
        for number, instrument in enumerate(underlyings, start=1):
            name = parse_symbol(Market.OPTION, instrument.symbol)
            contracts.append(
                {"id": number, "baseAsset": name.base_asset, "quoteAsset": name.quote_asset,
                 "underlying": instrument.symbol, "settleAsset": name.quote_asset}
            )  # fmt: skip
            strike = _strike(_trend_price(instrument.asset, self.now))
            for side in ("CALL", "PUT"):
                symbols.append(option_symbol(instrument, expiry, strike, side, len(symbols) + 1))
        return {
            "optionContracts": contracts,
            "optionAssets": [{"id": 1, "name": "USDT"}],
            "optionSymbols": symbols,
        }


def exchange_info_of(content: ArchiveContent) -> StandInExchangeInfo | None:
    """The exchange info of generated ``content`` (seen through an overlay), else None."""
    layer: object = content
    while layer is not None:
        universe, now = getattr(layer, "universe", None), getattr(layer, "now", None)
        if isinstance(universe, Universe) and isinstance(now, date):
            return StandInExchangeInfo(universe, now)
        layer = getattr(layer, "base", None)
    return None


def _spot_status(instrument: Instrument, now: date) -> str | None:
    if instrument.listed > now:
        return None
    if instrument.delisted is not None and instrument.delisted < now:
        return "BREAK"
    return "TRADING"


def _futures_status(instrument: Instrument, now: date) -> str | None:
    if instrument.listed > now:
        return "PENDING_TRADING" if (instrument.listed - now).days <= PENDING_DAYS else None
    if instrument.delisted is None or instrument.delisted >= now:
        return "TRADING"
    return None if instrument.contract is Contract.DELIVERY else "SETTLING"


def _wanted_symbols(query: str) -> list[str] | None:
    params = parse_qs(query)
    if "symbol" in params:
        return [params["symbol"][0]]
    if "symbols" in params:
        try:
            names = json.loads(params["symbols"][0])
        except ValueError:
            return []
        return [str(n) for n in names] if isinstance(names, list) else []
    return None


def _only(document: Document, wanted: list[str]) -> Document | None:
    symbols = document["symbols"]
    assert isinstance(symbols, list)
    chosen = [s for s in symbols if s["symbol"] in wanted]
    if len(chosen) != len(set(wanted)):
        return None
    return {**document, "symbols": chosen}


def _next_friday(day: date) -> datetime:
    ahead = (4 - day.weekday()) % 7 or 7
    return datetime.combine(day + timedelta(days=ahead), DELIVERY_TIME)


def _trend_price(asset_name: str, day: date) -> float:
    """The asset's trend price on ``day`` (log-linear from its first price to its horizon)."""
    asset = ASSETS[asset_name]
    span = max(1, (ASSET_HORIZON - asset.first_day).days)
    progress = min(1.0, max(0.0, (day - asset.first_day).days / span))
    return math.exp(
        math.log(asset.first_price) + progress * math.log(asset.last_price / asset.first_price)
    )


def _strike(price: float) -> Decimal:
    """``price`` rounded to two significant digits, as a strike is written."""
    exponent = math.floor(math.log10(price)) - 1
    return Decimal(round(price / 10**exponent)).scaleb(exponent).normalize()
