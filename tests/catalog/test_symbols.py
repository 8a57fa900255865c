"""What a symbol's name says: pair, assets, delivery, perpetual, settled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketlake.catalog import Market
from marketlake.catalog.symbols import SymbolName, is_volatility_index, parse_symbol


@pytest.mark.parametrize(
    ("market", "symbol", "expected"),
    [
        (Market.SPOT, "ETHBTC", SymbolName("ETHBTC", "ETHBTC", "ETH", "BTC")),
        (Market.SPOT, "BNBBUSD", SymbolName("BNBBUSD", "BNBBUSD", "BNB", "BUSD")),
        (Market.SPOT, "币安人生USDT",
         SymbolName("币安人生USDT", "币安人生USDT", "币安人生", "USDT")),
        (Market.UM, "1000BONKUSDT",
         SymbolName("1000BONKUSDT", "1000BONKUSDT", "1000BONK", "USDT", perpetual=True)),
        (Market.UM, "0GUSDT", SymbolName("0GUSDT", "0GUSDT", "0G", "USDT", perpetual=True)),
        (Market.UM, "CTKUSDTSETTLED",
         SymbolName("CTKUSDTSETTLED", "CTKUSDT", "CTK", "USDT", perpetual=True, settled=True)),
        (Market.UM, "BTCUSDT_240329",
         SymbolName("BTCUSDT_240329", "BTCUSDT", "BTC", "USDT",
                    delivery=datetime(2024, 3, 29, 8, tzinfo=UTC))),
        (Market.CM, "BTCUSD_PERP",
         SymbolName("BTCUSD_PERP", "BTCUSD", "BTC", "USD", perpetual=True)),
        (Market.CM, "BTCUSD", SymbolName("BTCUSD", "BTCUSD", "BTC", "USD", perpetual=True)),
        (Market.OPTION, "BTCBVOLUSDT", SymbolName("BTCBVOLUSDT", "BTCBVOLUSDT", "BTCBVOL", "USDT")),
        (Market.SPOT, "XYZ", SymbolName("XYZ", "XYZ", None, None)),
        (Market.UM, "BTCUSDT_999999",
         SymbolName("BTCUSDT_999999", "BTCUSDT_999999", None, None, perpetual=True)),
    ],
)  # fmt: skip
def test_symbol_names_split_into_their_parts(
    market: Market, symbol: str, expected: SymbolName
) -> None:
    assert parse_symbol(market, symbol) == expected


def test_bvol_indexes_are_told_apart() -> None:
    assert is_volatility_index("ETHBVOLUSDT")
    assert not is_volatility_index("ETHUSDT")
