"""What a symbol's name says: its pair, base and quote assets, and a delivery date.

Binance names symbols ``BASE`` + ``QUOTE`` (``BTCUSDT``, ``ETHBTC``, ``1000BONKUSDT``,
``币安人生USDT``); futures add ``_PERP`` (COIN-M perpetuals) or ``_YYMMDD`` (delivery
contracts, delivered at 08:00 UTC) and delisted perpetuals may carry a ``SETTLED`` suffix.
The exchange-info endpoint is the authority on assets; this parse is the fallback when it
cannot be reached, and is right for every name the archive uses today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from marketlake.catalog.markets import Market

QUOTE_ASSETS: tuple[str, ...] = (
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "USDS", "DAI",
    "BTC", "ETH", "BNB", "EUR", "TRY", "BRL", "JPY", "USD",
)  # fmt: skip
"""Quote assets tried longest-first where one ends another (``USDT`` before ``USD``)."""

DELIVERY_TIME = time(8, 0, tzinfo=UTC)
"""Binance delivers quarterly contracts at 08:00 UTC on the delivery day."""

PERPETUAL_DELIVERY = datetime(2100, 12, 25, 8, 0, tzinfo=UTC)
"""The ``deliveryDate`` Binance gives perpetual contracts (4133404800000 ms)."""

_DELIVERY_SUFFIX = re.compile(r"^(?P<pair>.+)_(?P<yymmdd>\d{6})$")
_PERP_SUFFIX = "_PERP"
_SETTLED_SUFFIX = "SETTLED"
_BVOL = "BVOL"


@dataclass(frozen=True)
class SymbolName:
    """The parts of one symbol's name (assets None when no known quote asset ends the pair)."""

    symbol: str
    pair: str
    base_asset: str | None
    quote_asset: str | None
    delivery: datetime | None = None
    perpetual: bool = False
    settled: bool = False


def parse_symbol(market: Market, symbol: str) -> SymbolName:
    """Split ``symbol`` of ``market`` into pair, assets, delivery time and flags."""
    pair, delivery, perpetual, settled = symbol, None, False, False
    if pair.endswith(_SETTLED_SUFFIX) and len(pair) > len(_SETTLED_SUFFIX):
        pair, settled = pair[: -len(_SETTLED_SUFFIX)], True
    if pair.endswith(_PERP_SUFFIX):
        pair, perpetual = pair[: -len(_PERP_SUFFIX)], True
    elif (match := _DELIVERY_SUFFIX.match(pair)) is not None:
        delivery = _delivery_time(match.group("yymmdd"))
        pair = match.group("pair") if delivery is not None else pair
    if market.is_futures and delivery is None:
        perpetual = True
    base, quote = split_pair(pair)
    return SymbolName(symbol, pair, base, quote, delivery, perpetual, settled)


def split_pair(pair: str) -> tuple[str | None, str | None]:
    """``(base, quote)`` of a pair such as ``ETHBTC`` (None, None when no quote matches)."""
    for quote in sorted(QUOTE_ASSETS, key=len, reverse=True):
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[: -len(quote)], quote
    return None, None


def is_volatility_index(symbol: str) -> bool:
    """True for the option market's BVOL index folders (``BTCBVOLUSDT``)."""
    base, _ = split_pair(symbol)
    return base is not None and base.endswith(_BVOL)


def _delivery_time(yymmdd: str) -> datetime | None:
    try:
        day = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None
    return datetime.combine(day, DELIVERY_TIME)
