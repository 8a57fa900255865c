"""marketlake: Binance's public market-data archive as an exact, incremental Parquet lake."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

import logging as _logging

_logging.getLogger(__name__).addHandler(_logging.NullHandler())
