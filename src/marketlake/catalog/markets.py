"""Markets and periods of the archive, and where each lives in the key space."""

from __future__ import annotations

from enum import StrEnum

from marketlake.errors import CatalogError


class Market(StrEnum):
    """A market of the archive: spot, USD-M futures, COIN-M futures, options."""

    SPOT = "spot"
    UM = "um"
    CM = "cm"
    OPTION = "option"

    @property
    def path(self) -> str:
        """The market's folder below ``data/`` (``futures/um`` for USD-M)."""
        return _MARKET_PATHS[self]

    @property
    def is_futures(self) -> bool:
        """True for USD-M and COIN-M."""
        return self in (Market.UM, Market.CM)

    @classmethod
    def parse(cls, text: str) -> Market:
        """A market from its name (``um``) or its key path (``futures/um``)."""
        for market in cls:
            if text in (market.value, market.path):
                return market
        names = ", ".join(m.value for m in cls)
        raise CatalogError(f"unknown market {text!r}: expected one of {names}")


_MARKET_PATHS = {
    Market.SPOT: "spot",
    Market.UM: "futures/um",
    Market.CM: "futures/cm",
    Market.OPTION: "option",
}


class Period(StrEnum):
    """How much time one archive file covers: a UTC day or a calendar month."""

    DAILY = "daily"
    MONTHLY = "monthly"

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from its name."""
        try:
            return cls(text)
        except ValueError:
            raise CatalogError(f"unknown period {text!r}: expected daily or monthly") from None
