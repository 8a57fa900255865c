"""marketlake: Binance's public market-data archive as an exact, incremental Parquet lake.

The public surface, imported lazily so that ``import marketlake`` stays cheap:

- :class:`Lake`: read the lake (Polars DataFrames, SQL through DuckDB, symbols, gaps).
- :class:`FlightClient`: read a ``marketlake serve`` Arrow Flight server.
"""

from __future__ import annotations

import importlib
import logging as _logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marketlake.lake.sdk import Lake
    from marketlake.serve.client import FlightClient

__version__ = "0.1.0"

__all__ = [
    # reading
    "FlightClient",
    "Lake",
    # metadata
    "__version__",
]

_LAZY = {
    "Lake": "marketlake.lake.sdk",
    "FlightClient": "marketlake.serve.client",
}


def __getattr__(name: str) -> Any:
    """Import the public classes on first use (pyarrow, polars and Flight are heavy)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'marketlake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


_logging.getLogger(__name__).addHandler(_logging.NullHandler())
