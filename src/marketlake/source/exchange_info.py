"""What each market trades now, from Binance's exchange-info REST endpoint (or the stand-in).

    async with ArchiveClient(config) as client:
        info = await fetch_exchange_info(client, Market.UM, settings.rest_url)
        info.find("BTCUSDT").tick_size   # Decimal('0.10')

The four documents (spot ``/api/v3``, USD-M ``/fapi/v1``, COIN-M ``/dapi/v1``, options
``/eapi/v1``) are parsed into one shape, :class:`ExchangeSymbol`: status (COIN-M calls it
``contractStatus``), assets, the ``PRICE_FILTER`` tick size, the ``LOT_SIZE`` step size, the
minimum notional (spot ``NOTIONAL``/``MIN_NOTIONAL`` ``minNotional``, USD-M ``MIN_NOTIONAL``
``notional``), contract type and size, margin asset, onboard and delivery times (None for a
perpetual's far-future sentinel). Options give one entry per underlying (``optionContracts``).
Failures arrive as :class:`~marketlake.errors.SourceError`, never as JSON or HTTP errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marketlake.catalog import Market
from marketlake.catalog.symbols import PERPETUAL_DELIVERY
from marketlake.errors import SourceError
from marketlake.source.http import ArchiveClient

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

REAL_REST_URLS: Mapping[Market, str] = {
    Market.SPOT: "https://api.binance.com",
    Market.UM: "https://fapi.binance.com",
    Market.CM: "https://dapi.binance.com",
    Market.OPTION: "https://eapi.binance.com",
}
EXCHANGE_INFO_PATHS: Mapping[Market, str] = {
    Market.SPOT: "/api/v3/exchangeInfo",
    Market.UM: "/fapi/v1/exchangeInfo",
    Market.CM: "/dapi/v1/exchangeInfo",
    Market.OPTION: "/eapi/v1/exchangeInfo",
}


@dataclass(frozen=True)
class ExchangeSymbol:
    """One symbol as the exchange describes it today."""

    symbol: str
    status: str | None
    base_asset: str | None
    quote_asset: str | None
    tick_size: Decimal | None = None
    lot_size: Decimal | None = None
    min_notional: Decimal | None = None
    contract_type: str | None = None
    contract_size: int | None = None
    margin_asset: str | None = None
    pair: str | None = None
    onboard_date: datetime | None = None
    delivery_date: datetime | None = None


@dataclass(frozen=True)
class ExchangeInfo:
    """One market's exchange info: the server's time and its symbols."""

    market: Market
    server_time: datetime
    symbols: tuple[ExchangeSymbol, ...]

    def find(self, symbol: str) -> ExchangeSymbol | None:
        """The entry of ``symbol``, if the exchange lists it."""
        return next((s for s in self.symbols if s.symbol == symbol), None)

    def by_pair(self, pair: str) -> ExchangeSymbol | None:
        """A perpetual (else any contract) trading ``pair``: for index folders like BTCUSD."""
        matches = [s for s in self.symbols if s.pair == pair]
        perpetual = [s for s in matches if s.contract_type == "PERPETUAL"]
        chosen = perpetual or matches
        return chosen[0] if chosen else None


def exchange_info_url(market: Market, base_url: str | None = None) -> str:
    """The exchange-info URL of ``market`` under ``base_url`` (None: Binance's own host)."""
    base = (base_url or REAL_REST_URLS[market]).rstrip("/")
    return base + EXCHANGE_INFO_PATHS[market]


async def fetch_exchange_info(
    client: ArchiveClient, market: Market, base_url: str | None = None
) -> ExchangeInfo:
    """Download and parse ``market``'s exchange info through ``client`` (its retry policy)."""
    url = exchange_info_url(market, base_url)
    info = parse_exchange_info(market, await client.get(url), url=url)
    logger.debug("exchange info of %s: %d symbols", market.value, len(info.symbols))
    return info


def parse_exchange_info(market: Market, body: bytes, *, url: str = "") -> ExchangeInfo:
    """An :class:`ExchangeInfo` from the JSON body of ``market``'s endpoint."""
    try:
        document = json.loads(body)
        server_time = _time(document["serverTime"])
        if market is Market.OPTION:
            symbols = _option_underlyings(document)
        else:
            symbols = tuple(_symbol(market, entry) for entry in document["symbols"])
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise SourceError(
            f"exchange info from {url or market.value} is not what Binance sends "
            f"({type(exc).__name__}: {exc})",
            url=url or None,
        ) from exc
    assert server_time is not None
    return ExchangeInfo(market, server_time, symbols)


def _symbol(market: Market, entry: dict[str, Any]) -> ExchangeSymbol:
    filters = {f["filterType"]: f for f in entry.get("filters", ())}
    delivery = _time(entry.get("deliveryDate"))
    size = entry.get("contractSize")
    return ExchangeSymbol(
        symbol=entry["symbol"],
        status=entry.get("status", entry.get("contractStatus")),
        base_asset=entry.get("baseAsset"),
        quote_asset=entry.get("quoteAsset"),
        tick_size=_decimal(filters.get("PRICE_FILTER", {}).get("tickSize")),
        lot_size=_decimal(filters.get("LOT_SIZE", {}).get("stepSize")),
        min_notional=_min_notional(filters),
        contract_type=entry.get("contractType") or None,
        contract_size=int(size) if size is not None else None,
        margin_asset=entry.get("marginAsset"),
        pair=entry.get("pair"),
        onboard_date=_time(entry.get("onboardDate")),
        delivery_date=None if delivery is None or delivery >= PERPETUAL_DELIVERY else delivery,
    )


def _option_underlyings(document: dict[str, Any]) -> tuple[ExchangeSymbol, ...]:
    trading = {
        s["underlying"] for s in document.get("optionSymbols", ()) if s.get("status") == "TRADING"
    }
    return tuple(
        ExchangeSymbol(
            symbol=c["underlying"],
            status="TRADING" if c["underlying"] in trading else None,
            base_asset=c.get("baseAsset"),
            quote_asset=c.get("quoteAsset"),
            margin_asset=c.get("settleAsset"),
            pair=c["underlying"],
        )
        for c in document["optionContracts"]
    )


def _min_notional(filters: Mapping[str, dict[str, Any]]) -> Decimal | None:
    for name, field in (("NOTIONAL", "minNotional"), ("MIN_NOTIONAL", "minNotional")):
        value = filters.get(name, {}).get(field)
        if value is not None:
            return _decimal(value)
    return _decimal(filters.get("MIN_NOTIONAL", {}).get("notional"))


def _decimal(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _time(milliseconds: object) -> datetime | None:
    if milliseconds is None:
        return None
    if not isinstance(milliseconds, int | float | str):
        raise TypeError(f"not a time in milliseconds: {milliseconds!r}")
    return _EPOCH + timedelta(milliseconds=int(milliseconds))
