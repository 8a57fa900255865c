"""The stand-in's symbol universe: what each market lists, from when to when, at what precision.

The ground truth later tests compare against: every symbol folder the generated archive
serves is an :class:`Instrument` here, with its listing day and (when delisted) its last
day. Datasets start no earlier than the catalog's first dates and stop at its last dates;
:meth:`Instrument.window` intersects the two. Delisted symbols keep their files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from marketlake.catalog import DATASETS, Market, Period

ONE_SECOND_FIRST_DAY = date(2025, 12, 30)
ONE_SECOND_LAST_DAY = date(2026, 1, 2)
"""Spot ``1s`` klines are served for this short window only, to keep listings cheap."""


class Contract(StrEnum):
    """What a symbol folder holds."""

    SPOT = "spot"
    PERPETUAL = "perpetual"
    DELIVERY = "delivery"
    INDEX = "index"
    VOLATILITY_INDEX = "volatility_index"
    OPTION_UNDERLYING = "option_underlying"


_FUTURES_KLINES = ("klines", "markPriceKlines", "premiumIndexKlines")
_PERPETUAL_EXTRAS = (
    "trades",
    "aggTrades",
    "bookTicker",
    "bookDepth",
    "metrics",
    "fundingRate",
    "liquidationSnapshot",
)
_DATASETS: dict[tuple[Market, Contract], tuple[str, ...]] = {
    (Market.SPOT, Contract.SPOT): ("klines", "trades", "aggTrades"),
    (Market.UM, Contract.PERPETUAL): (*_FUTURES_KLINES, "indexPriceKlines", *_PERPETUAL_EXTRAS),
    (Market.CM, Contract.PERPETUAL): (*_FUTURES_KLINES, *_PERPETUAL_EXTRAS),
    (Market.UM, Contract.DELIVERY): (*_FUTURES_KLINES, "trades", "aggTrades"),
    (Market.CM, Contract.DELIVERY): (*_FUTURES_KLINES, "trades", "aggTrades"),
    (Market.CM, Contract.INDEX): ("indexPriceKlines",),
    (Market.OPTION, Contract.VOLATILITY_INDEX): ("BVOLIndex",),
    (Market.OPTION, Contract.OPTION_UNDERLYING): ("EOHSummary",),
}


@dataclass(frozen=True)
class Asset:
    """A price family several symbols follow (spot BTCUSDT, um BTCUSDT, cm BTCUSD_PERP)."""

    name: str
    first_day: date
    first_price: float
    last_price: float
    daily_volatility: float = 0.03


ASSET_HORIZON = date(2026, 12, 31)
"""The day each asset's trend reaches ``last_price``; the walk continues flat after it."""

ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset("BTC", date(2017, 7, 14), 2_400.0, 91_000.0),
        Asset("ETH", date(2017, 7, 14), 200.0, 3_000.0, 0.04),
        Asset("BNB", date(2017, 7, 14), 1.5, 880.0, 0.04),
        Asset("LTC", date(2017, 7, 14), 45.0, 85.0, 0.04),
        Asset("ADA", date(2017, 7, 14), 0.03, 0.45, 0.05),
        Asset("XRP", date(2017, 7, 14), 0.2, 2.1, 0.05),
        Asset("DOGE", date(2017, 7, 14), 0.0018, 0.16, 0.06),
        Asset("SOL", date(2020, 4, 10), 1.0, 140.0, 0.06),
        Asset("DOT", date(2020, 8, 18), 3.0, 2.6, 0.05),
        Asset("LUNA", date(2020, 8, 21), 0.3, 0.07, 0.07),
        Asset("ALICE", date(2021, 3, 15), 8.0, 0.3, 0.06),
        Asset("PEPE", date(2023, 4, 15), 0.0000012, 0.0000050, 0.07),
        Asset("WLD", date(2023, 7, 24), 2.0, 0.6, 0.06),
        Asset("BONK", date(2023, 1, 1), 0.0000009, 0.0000110, 0.07),
        Asset("ETHBTC", date(2017, 7, 14), 0.08, 0.033, 0.03),
        Asset("CTK", date(2020, 10, 1), 1.2, 0.3, 0.05),
        Asset("ZEROG", date(2025, 9, 1), 3.0, 1.4, 0.08),
        Asset("BIANRENSHENG", date(2025, 10, 1), 0.08, 0.03, 0.09),
        Asset("LONGXIA", date(2025, 10, 1), 0.012, 0.004, 0.09),
        Asset("BTCBVOL", date(2023, 6, 1), 45.0, 40.0, 0.04),
        Asset("ETHBVOL", date(2023, 6, 1), 55.0, 60.0, 0.04),
    )
}


@dataclass(frozen=True)
class Instrument:
    """One symbol folder of one market: its life, its price family and its precision.

    Prices are integers of ``10**-price_scale`` (moving by ``tick`` of them), quantities
    integers of ``10**-qty_scale``; ``turnover`` is a typical minute's traded amount in the
    quote currency (in contracts for COIN-M).
    """

    market: Market
    symbol: str
    contract: Contract
    asset: str
    listed: date
    delisted: date | None = None
    price_scale: int = 2
    tick: int = 1
    qty_scale: int = 3
    price_factor: int = 1
    contract_size: int = 0
    turnover: float = 150_000.0
    one_second: bool = False
    funding_hours: tuple[tuple[date, int], ...] = field(default=((date(2017, 1, 1), 8),))

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets published for this symbol."""
        return _DATASETS[(self.market, self.contract)]

    def window(self, dataset: str, interval: str | None = None) -> tuple[date, date | None]:
        """First and last (None: still trading) day with ``dataset`` data for this symbol.

        ``1s`` klines only exist in the short window ``ONE_SECOND_FIRST_DAY..LAST_DAY``.
        """
        spec = DATASETS[dataset]
        first = max(self.listed, spec.first_dates.get(self.market, self.listed))
        ends = [d for d in (self.delisted, spec.last_dates.get(self.market)) if d is not None]
        if interval == "1s":
            first = max(first, ONE_SECOND_FIRST_DAY)
            ends.append(ONE_SECOND_LAST_DAY)
        return first, min(ends) if ends else None

    def intervals(self, dataset: str, period: Period) -> tuple[str, ...]:
        """The kline interval folders of ``dataset`` for this symbol (empty if none)."""
        spec = DATASETS[dataset]
        names = spec.intervals_for(self.market, period)
        return tuple(i for i in names if i != "1s" or self.one_second)

    def funding_interval(self, day: date) -> int:
        """Hours between fundings in force on ``day``."""
        hours = self.funding_hours[0][1]
        for start, value in self.funding_hours:
            if start <= day:
                hours = value
        return hours


def _spot(
    symbol: str, asset: str, listed: date, scales: tuple[int, int], **extra: object
) -> Instrument:
    return Instrument(
        Market.SPOT, symbol, Contract.SPOT, asset, listed,
        price_scale=scales[0], qty_scale=scales[1], **extra,  # type: ignore[arg-type]
    )  # fmt: skip


_SPOT = (
    _spot("BTCUSDT", "BTC", date(2017, 7, 14), (2, 5), one_second=True),
    _spot("ETHUSDT", "ETH", date(2017, 8, 17), (2, 4)),
    _spot("ETHBTC", "ETHBTC", date(2017, 7, 14), (6, 2), turnover=3.0),
    _spot("BNBUSDT", "BNB", date(2017, 11, 6), (2, 3)),
    _spot("LTCUSDT", "LTC", date(2017, 12, 13), (2, 3)),
    _spot("ADAUSDT", "ADA", date(2018, 4, 17), (4, 1)),
    _spot("XRPUSDT", "XRP", date(2018, 5, 4), (4, 0)),
    _spot("DOGEUSDT", "DOGE", date(2019, 7, 5), (5, 0)),
    _spot("BNBBUSD", "BNB", date(2019, 9, 18), (4, 2), delisted=date(2023, 12, 15), turnover=2e4),
    _spot("SOLUSDT", "SOL", date(2020, 8, 11), (2, 3)),
    _spot("DOTUSDT", "DOT", date(2020, 8, 18), (3, 2)),
    _spot("LUNAUSDT", "LUNA", date(2020, 8, 21), (4, 2), delisted=date(2022, 5, 13)),
    _spot("ALICEUSDT", "ALICE", date(2021, 3, 15), (3, 2)),
    _spot("PEPEUSDT", "PEPE", date(2023, 5, 5), (8, 0)),
    _spot("WLDUSDT", "WLD", date(2023, 7, 24), (3, 1)),
    _spot("币安人生USDT", "BIANRENSHENG", date(2025, 10, 8), (4, 0)),
    _spot("龙虾USDT", "LONGXIA", date(2025, 10, 20), (5, 0)),
)


def _future(
    market: Market, symbol: str, asset: str, listed: date, scales: tuple[int, int], **extra: object
) -> Instrument:
    contract = (
        Contract.DELIVERY if symbol[-7:-6] == "_" and symbol[-6:].isdigit() else Contract.PERPETUAL
    )
    return Instrument(
        market, symbol, contract, asset, listed,
        price_scale=scales[0], qty_scale=scales[1], **extra,  # type: ignore[arg-type]
    )  # fmt: skip


_UM, _CM = Market.UM, Market.CM
_FUTURES = (
    _future(_UM, "BTCUSDT", "BTC", date(2019, 12, 31), (2, 3), tick=10, turnover=6e5),
    _future(_UM, "ETHUSDT", "ETH", date(2019, 12, 31), (2, 3), turnover=4e5),
    _future(_UM, "BNBUSDT", "BNB", date(2020, 2, 10), (3, 2)),
    _future(
        _UM, "1000BONKUSDT", "BONK", date(2023, 11, 22), (7, 0), price_factor=1000,
        funding_hours=((date(2023, 11, 22), 8), (date(2024, 6, 12), 4)),
    ),
    _future(_UM, "CTKUSDTSETTLED", "CTK", date(2025, 4, 30), (4, 0), delisted=date(2025, 6, 20)),
    _future(
        _UM, "0GUSDT", "ZEROG", date(2025, 9, 22), (4, 0),
        funding_hours=((date(2025, 9, 22), 4), (date(2025, 10, 15), 1), (date(2025, 10, 22), 4)),
    ),
    _future(_UM, "BTCUSDT_240329", "BTC", date(2023, 9, 29), (1, 3), delisted=date(2024, 3, 29)),
    _future(
        _UM, "币安人生USDT", "BIANRENSHENG", date(2025, 10, 9), (5, 0),
        funding_hours=((date(2025, 10, 9), 4), (date(2025, 10, 18), 1)),
    ),
    _future(_UM, "龙虾USDT", "LONGXIA", date(2025, 10, 21), (5, 0)),
    _future(_CM, "BTCUSD_PERP", "BTC", date(2020, 8, 11), (1, 0), contract_size=100, turnover=300),
    _future(_CM, "ETHUSD_PERP", "ETH", date(2020, 8, 11), (2, 0), contract_size=10, turnover=500),
    _future(
        _CM, "BTCUSD_240329", "BTC", date(2023, 9, 29), (1, 0), contract_size=100,
        delisted=date(2024, 3, 29), turnover=40,
    ),
    Instrument(_CM, "BTCUSD", Contract.INDEX, "BTC", date(2020, 8, 11), price_scale=1),
    Instrument(_CM, "ETHUSD", Contract.INDEX, "ETH", date(2020, 8, 11), price_scale=2),
)  # fmt: skip

_OPTION = tuple(
    Instrument(
        Market.OPTION, f"{a}BVOLUSDT", Contract.VOLATILITY_INDEX, f"{a}BVOL", date(2023, 6, 20)
    )
    for a in ("BTC", "ETH")
) + tuple(
    Instrument(Market.OPTION, f"{a}USDT", Contract.OPTION_UNDERLYING, a, date(2023, 1, 1))
    for a in ("BNB", "BTC", "DOGE", "ETH", "XRP")
)


@dataclass(frozen=True)
class Universe:
    """Every symbol folder of the stand-in, by market."""

    instruments: tuple[Instrument, ...]

    def symbols(self, market: Market, dataset: str | None = None) -> tuple[Instrument, ...]:
        """The instruments of ``market`` (publishing ``dataset``), sorted by symbol."""
        found = (
            i for i in self.instruments
            if i.market is market and (dataset is None or dataset in i.datasets)
        )  # fmt: skip
        return tuple(sorted(found, key=lambda i: i.symbol))

    def find(self, market: Market, dataset: str, symbol: str) -> Instrument | None:
        """The instrument behind folder ``symbol`` of ``dataset`` in ``market``, if any."""
        for instrument in self.instruments:
            if (
                instrument.market is market
                and instrument.symbol == symbol
                and dataset in instrument.datasets
            ):
                return instrument
        return None

    def delisted(self) -> tuple[Instrument, ...]:
        """The instruments that stopped trading (their files stay in the bucket)."""
        return tuple(i for i in self.instruments if i.delisted is not None)


DEFAULT_UNIVERSE = Universe(_SPOT + _FUTURES + _OPTION)
