"""The symbol entries of the stand-in's exchange-info documents, in Binance's shapes.

Numbers are strings as Binance writes them: spot with 8 decimals (``0.01000000``), futures at
the instrument's precision (``0.10``); times are epoch milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from marketlake.catalog import Market
from marketlake.catalog.symbols import DELIVERY_TIME, PERPETUAL_DELIVERY, parse_symbol
from marketlake.mirror.universe import Contract, Instrument

Document = dict[str, object]

_SPOT_ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
_FUTURES_ORDER_TYPES = [
    "LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]  # fmt: skip
_STABLE_QUOTES = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP"})


def spot_symbol(instrument: Instrument, status: str) -> Document:
    """A spot ``symbols[]`` entry (filters PRICE_FILTER, LOT_SIZE, NOTIONAL, ...)."""
    name = parse_symbol(Market.SPOT, instrument.symbol)
    tick = _fixed8(_step(instrument.tick, instrument.price_scale))
    lot = _fixed8(_step(1, instrument.qty_scale))
    notional = Decimal(5) if name.quote_asset in _STABLE_QUOTES else Decimal("0.0001")
    return {
        "symbol": instrument.symbol,
        "status": status,
        "baseAsset": name.base_asset,
        "baseAssetPrecision": 8,
        "quoteAsset": name.quote_asset,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": _SPOT_ORDER_TYPES,
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": status == "TRADING",
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000",
             "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": lot, "maxQty": "9000000.00000000",
             "stepSize": lot},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "NOTIONAL", "minNotional": _fixed8(notional), "applyMinToMarket": True,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }  # fmt: skip


def futures_symbol(instrument: Instrument, status: str, contract_type: str) -> Document:
    """A USD-M or COIN-M ``symbols[]`` entry (COIN-M: ``contractStatus``, ``contractSize``)."""
    market = instrument.market
    name = parse_symbol(market, instrument.symbol)
    tick = f"{_step(instrument.tick, instrument.price_scale):f}"
    lot = f"{_step(1, instrument.qty_scale):f}"
    delivery = (
        datetime.combine(instrument.delisted, DELIVERY_TIME)
        if instrument.contract is Contract.DELIVERY and instrument.delisted is not None
        else PERPETUAL_DELIVERY
    )
    filters: list[Document] = [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "4529764", "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": lot, "maxQty": "1000", "stepSize": lot},
        {"filterType": "MARKET_LOT_SIZE", "minQty": lot, "maxQty": "120", "stepSize": lot},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
         "multiplierDecimal": "4"},
    ]  # fmt: skip
    document: Document = {
        "symbol": instrument.symbol,
        "pair": name.pair,
        "contractType": contract_type,
        "deliveryDate": ms(delivery),
        "onboardDate": ms(datetime.combine(instrument.listed, datetime.min.time(), UTC)),
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": name.base_asset,
        "quoteAsset": name.quote_asset,
        "marginAsset": name.quote_asset if market is Market.UM else name.base_asset,
        "pricePrecision": instrument.price_scale,
        "quantityPrecision": instrument.qty_scale,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "filters": filters,
        "orderTypes": _FUTURES_ORDER_TYPES,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }
    if market is Market.CM:
        document["contractStatus"] = status
        document["contractSize"] = instrument.contract_size
        document["equalQtyPrecision"] = 4
    else:
        document["status"] = status
        document["settlePlan"] = 0
        notional = 100 if instrument.asset == "BTC" else 5
        filters.append({"filterType": "MIN_NOTIONAL", "notional": str(notional)})
    return document


def option_symbol(
    instrument: Instrument, expiry: datetime, strike: Decimal, side: str, number: int
) -> Document:
    """One ``optionSymbols[]`` entry: a call or a put on ``instrument``."""
    name = parse_symbol(Market.OPTION, instrument.symbol)
    code = f"{name.base_asset}-{expiry:%y%m%d}-{strike:f}-{side[0]}"
    return {
        "id": number, "contractId": number, "expiryDate": ms(expiry),
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.1", "maxPrice": "100000",
             "tickSize": "0.1"},
            {"filterType": "LOT_SIZE", "minQty": "0.01", "maxQty": "2500", "stepSize": "0.01"},
        ],
        "symbol": code, "side": side, "strikePrice": f"{strike:f}",
        "underlying": instrument.symbol, "unit": 1,
        "makerFeeRate": "0.0002", "takerFeeRate": "0.0002",
        "minQty": "0.01", "maxQty": "2500",
        "initialMargin": "0.15", "maintenanceMargin": "0.075",
        "minInitialMargin": "0.1", "minMaintenanceMargin": "0.075",
        "priceScale": 1, "quantityScale": 2, "quoteAsset": name.quote_asset, "status": "TRADING",
    }  # fmt: skip


def _step(units: int, scale: int) -> Decimal:
    """``units`` of ``10**-scale``, written with exactly ``scale`` decimals (``0.10``)."""
    return Decimal(units).scaleb(-scale).quantize(Decimal(1).scaleb(-scale))


def _fixed8(value: Decimal) -> str:
    return f"{value:.8f}"


def ms(moment: datetime) -> int:
    """``moment`` in epoch milliseconds, as Binance writes times."""
    return int(moment.timestamp() * 1000)
