"""Column kinds: how a CSV cell is read and what lake type holds it exactly.

The lake keeps every value exactly as the archive's text says it:

* ``EPOCH``: integer epoch in ms or us (detected per file by magnitude), stored as
  ``timestamp[us, UTC]``; milliseconds are multiplied by 1000, nothing is lost.
* ``DATETIME_TEXT``: ``YYYY-MM-DD HH:MM:SS`` in UTC, stored as ``timestamp[us, UTC]``.
* ``DATE_TEXT``: ``YYYY-MM-DD``, stored as ``date32``.
* ``INT``: ``int64``.
* ``DECIMAL``: ``decimal128(precision, scale)``. Decoding refuses, rather than rounds, a value
  with more digits than the column holds, so what is read back equals the text digit for digit.
  Prices use precision 18 (stored in Parquet as INT64, the cheapest exact form); volumes,
  notionals and ratios, which can exceed 10 integer digits or 8 decimals, use precision 38.
* ``BOOL``: ``True``/``False`` and ``true``/``false`` alike.
* ``TEXT``: ``string``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How one CSV column is read."""

    EPOCH = "epoch"
    DATETIME_TEXT = "datetime_text"
    DATE_TEXT = "date_text"
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    TEXT = "text"


@dataclass(frozen=True)
class Column:
    """One column of a dataset: its lake name, kind, decimal shape and meaning."""

    name: str
    kind: Kind
    precision: int = 0
    scale: int = 0
    description: str = ""

    @property
    def is_time(self) -> bool:
        """True for columns stored as UTC timestamps."""
        return self.kind in (Kind.EPOCH, Kind.DATETIME_TEXT)


def epoch(name: str, description: str = "") -> Column:
    """An integer epoch column (ms or us in the file, us in the lake)."""
    return Column(name, Kind.EPOCH, description=description)


def datetime_text(name: str, description: str = "") -> Column:
    """A ``YYYY-MM-DD HH:MM:SS`` UTC text column."""
    return Column(name, Kind.DATETIME_TEXT, description=description)


def integer(name: str, description: str = "") -> Column:
    """A 64-bit integer column."""
    return Column(name, Kind.INT, description=description)


def price(name: str, description: str = "") -> Column:
    """A price: up to 10 integer digits and 8 decimals, INT64-backed in Parquet."""
    return Column(name, Kind.DECIMAL, 18, 8, description)


def amount(name: str, description: str = "") -> Column:
    """A quantity, volume or notional: up to 30 integer digits and 8 decimals."""
    return Column(name, Kind.DECIMAL, 38, 8, description)


def ratio(name: str, description: str = "") -> Column:
    """A rate, ratio, volatility or greek: up to 20 integer digits and 18 decimals."""
    return Column(name, Kind.DECIMAL, 38, 18, description)


def boolean(name: str, description: str = "") -> Column:
    """A boolean column (``True``/``true``)."""
    return Column(name, Kind.BOOL, description=description)


def text(name: str, description: str = "") -> Column:
    """A text column."""
    return Column(name, Kind.TEXT, description=description)
