"""The one spelling of a dataset in SQL: DuckDB views and ClickHouse tables share it.

relation_name(Market.UM, "klines", "1m")     # 'um_klines_1m'
relation_name(Market.SPOT, "aggTrades")      # 'spot_agg_trades'
relation_name(Market.OPTION, "BVOLIndex")    # 'option_bvol_index'
"""

from __future__ import annotations

import re

from marketlake.catalog.markets import Market

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(dataset: str) -> str:
    """``aggTrades`` -> ``agg_trades``, ``BVOLIndex`` -> ``bvol_index``."""
    return _CAMEL.sub("_", dataset).lower()


def relation_name(market: Market, dataset: str, interval: str | None = None) -> str:
    """The SQL name of a stored dataset (and interval): ``um_klines_1m``, ``spot_agg_trades``."""
    base = f"{market.value}_{snake_case(dataset)}"
    return f"{base}_{interval}" if interval else base
