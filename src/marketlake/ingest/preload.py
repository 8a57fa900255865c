"""What a decode worker imports, loaded once by the fork server: pyarrow, without numpy.

pyarrow imports numpy whenever it can. In the fork server that cost about 0.04 s on the way
to the first decoded byte, and numpy's OpenBLAS started a thread per core that spun for
another 0.08 s of CPU, on a core the parent needs for its own imports and plan (2-core VM:
the server was ready 0.09 s sooner without numpy, and a run took 0.1 s less CPU). The decoder
never hands pyarrow data to numpy, so the decoder's modules are imported with numpy hidden,
and numpy is importable again once they are: a library that wants it later (DuckDB, when a
worker sorts interleaved trades) imports it then. pyarrow, having started without numpy,
does not convert numpy arrays or scalars; nothing in a worker gives it any.

numpy has been optional for pyarrow since 16, the oldest the project accepts. Importing this
module where pyarrow or numpy is already loaded just imports the modules.
"""

from __future__ import annotations

import importlib
import sys

MODULES = (
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.parquet",
    "marketlake.ingest.write",
    "marketlake.ingest.receiver",
)
"""The decoder's modules (pyarrow's extension modules ask for numpy as they load, so numpy
stays hidden until the last of them is imported)."""


def import_decoder() -> None:
    """Import :data:`MODULES`, with numpy hidden unless pyarrow or numpy is already loaded."""
    hide = "numpy" not in sys.modules and "pyarrow" not in sys.modules
    if hide:
        sys.modules["numpy"] = None  # type: ignore[assignment]  # import numpy -> ImportError
    try:
        for name in MODULES:
            importlib.import_module(name)
    finally:
        if hide:
            del sys.modules["numpy"]


import_decoder()
