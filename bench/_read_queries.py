"""The four read queries of the read benchmark, each through three engines.

* **sdk**: ``marketlake.Lake`` (one ``Lake`` kept open, as a user would; files from the
  manifest, Polars underneath), answers are Polars DataFrames with exact decimals.
* **duckdb**: ``read_parquet`` over the same files (hive globs a DuckDB user would write,
  one connection kept open), answers fetched as Arrow tables (DuckDB's fastest output), exact
  DECIMALs; resampling with ``time_bucket`` and ``arg_min``/``arg_max``.
* **pandas**: ``pandas.read_parquet`` (pyarrow) over the same files, decimals converted to
  float64 (pandas can only resample ``Decimal`` objects one by one), then ``resample`` /
  ``groupby`` with ``pd.Grouper``.

Each query is a function ``(engine state, symbol, day) -> rows``; the driver times them.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa

from marketlake import Lake

YEAR = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
HALF = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
ROOT = "exchange=binance/market=um/dataset=klines/interval=1m"
AGG_1H = """
    SELECT time_bucket(INTERVAL 1 HOUR, open_time) AS open_time,
        arg_min(open, open_time) AS open, max(high) AS high, min(low) AS low,
        arg_max(close, open_time) AS close, sum(volume) AS volume,
        sum(quote_volume) AS quote_volume, sum(count) AS count,
        sum(taker_buy_volume) AS taker_buy_volume,
        sum(taker_buy_quote_volume) AS taker_buy_quote_volume
    FROM read_parquet(?) GROUP BY 1 ORDER BY 1"""
DAILY_VOLUME = """
    SELECT symbol, time_bucket(INTERVAL 1 DAY, open_time) AS day, sum(volume) AS volume
    FROM read_parquet(?, hive_partitioning = true)
    WHERE open_time >= ? AND open_time < ? GROUP BY 1, 2 ORDER BY 1, 2"""


@dataclass(frozen=True)
class Query:
    """One benchmark query: its name, target p50 (ms) and what each engine runs."""

    name: str
    target_ms: float
    sdk: Callable[[Lake, str, date], int]
    duckdb: Callable[[Engines, str, date], int]
    pandas: Callable[[Engines, str, date], int]
    files: Callable[[Engines, str, date], list[str]]


@dataclass
class Engines:
    """The open engines and where the lake's files are."""

    lake_dir: Path
    connection: duckdb.DuckDBPyConnection

    def month_glob(self, symbol: str, month: int) -> str:
        return str(self.lake_dir / ROOT / f"symbol={symbol}/year=2024/month={month:02d}/*.parquet")

    def year_glob(self, symbol: str) -> str:
        return str(self.lake_dir / ROOT / f"symbol={symbol}/year=2024/*/*.parquet")

    def half_year_globs(self) -> list[str]:
        return [
            str(self.lake_dir / ROOT / f"symbol=*/year=2024/month={m:02d}/*.parquet")
            for m in range(1, 7)
        ]

    def files(self, *patterns: str) -> list[str]:
        """The files matching ``patterns`` (what a pandas user globs), sorted."""
        return sorted(path for pattern in patterns for path in glob.glob(pattern))  # noqa: PTH207

    def arrow(self, sql: str, params: list[Any]) -> pa.Table:
        return self.connection.sql(sql, params=params).to_arrow_table()


def _day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def sdk_day(lake: Lake, symbol: str, day: date) -> int:
    start, end = _day_range(day)
    return lake.klines(symbol, start=start, end=end).height


def sdk_year(lake: Lake, symbol: str, _: date) -> int:
    return lake.klines(symbol, start=YEAR[0], end=YEAR[1]).height


def sdk_hourly(lake: Lake, symbol: str, _: date) -> int:
    return lake.klines(symbol, interval="1h", start=YEAR[0], end=YEAR[1]).height


def sdk_daily_volume(lake: Lake, _: str, __: date) -> int:
    bars = lake.klines(None, interval="1d", start=HALF[0], end=HALF[1], lazy=True)
    # the lazy form of a large aggregate, collected the way docs/read.md advises
    return bars.select("symbol", "open_time", "volume").collect(engine="streaming").height


def duck_day(engines: Engines, symbol: str, day: date) -> int:
    start, end = _day_range(day)
    sql = "SELECT * FROM read_parquet(?) WHERE open_time >= ? AND open_time < ? ORDER BY open_time"
    return engines.arrow(sql, [engines.month_glob(symbol, day.month), start, end]).num_rows


def duck_year(engines: Engines, symbol: str, _: date) -> int:
    sql = "SELECT * FROM read_parquet(?) ORDER BY open_time"
    return engines.arrow(sql, [engines.year_glob(symbol)]).num_rows


def duck_hourly(engines: Engines, symbol: str, _: date) -> int:
    return engines.arrow(AGG_1H, [engines.year_glob(symbol)]).num_rows


def duck_daily_volume(engines: Engines, _: str, __: date) -> int:
    return engines.arrow(DAILY_VOLUME, [engines.half_year_globs(), *HALF]).num_rows


def _pandas(files: list[str] | str, columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.read_parquet(files, columns=columns, engine="pyarrow")
    decimals = [c for c in frame.columns if frame[c].dtype == object and c != "symbol"]
    return frame.astype(dict.fromkeys(decimals, "float64"))


def pandas_day(engines: Engines, symbol: str, day: date) -> int:
    start, end = _day_range(day)
    frame = _pandas(engines.files(engines.month_glob(symbol, day.month)))
    return len(frame[(frame["open_time"] >= start) & (frame["open_time"] < end)])


def pandas_year(engines: Engines, symbol: str, _: date) -> int:
    return len(_pandas(engines.files(engines.year_glob(symbol))))


def pandas_hourly(engines: Engines, symbol: str, _: date) -> int:
    frame = _pandas(engines.files(engines.year_glob(symbol))).set_index("open_time")
    bars = frame.resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum",
         "quote_volume": "sum", "count": "sum", "taker_buy_volume": "sum",
         "taker_buy_quote_volume": "sum"}
    )  # fmt: skip
    return len(bars)


def pandas_daily_volume(engines: Engines, _: str, __: date) -> int:
    files = engines.files(*engines.half_year_globs())
    frames = []
    for path in files:
        frame = _pandas(path, ["open_time", "volume"])
        frame["symbol"] = path.split("symbol=")[1].split("/")[0]
        frames.append(frame)
    whole = pd.concat(frames, ignore_index=True)
    daily = whole.groupby(["symbol", pd.Grouper(key="open_time", freq="1D")])["volume"].sum()
    return len(daily)


def month_files(engines: Engines, symbol: str, day: date) -> list[str]:
    """The file a one-day query reads."""
    return engines.files(engines.month_glob(symbol, day.month))


def year_files(engines: Engines, symbol: str, _: date) -> list[str]:
    """The files a one-year query reads."""
    return engines.files(engines.year_glob(symbol))


def half_year_files(engines: Engines, _: str, __: date) -> list[str]:
    """The files the all-symbols query reads."""
    return engines.files(*engines.half_year_globs())


QUERIES = (
    Query("one symbol, one day (1m)", 5.0, sdk_day, duck_day, pandas_day, month_files),
    Query("one symbol, one year (1m)", 40.0, sdk_year, duck_year, pandas_year, year_files),
    Query("one symbol, one year 1m->1h", 50.0, sdk_hourly, duck_hourly, pandas_hourly, year_files),
    Query(
        "all symbols, 6 months, daily volume", 1500.0,
        sdk_daily_volume, duck_daily_volume, pandas_daily_volume, half_year_files,
    ),
)  # fmt: skip


def check_answers(lake: Lake, engines: Engines, symbol: str, day: date) -> None:
    """The three engines agree on row counts (and the SDK on values with DuckDB)."""
    for query in QUERIES:
        counts = {
            "sdk": query.sdk(lake, symbol, day),
            "duckdb": query.duckdb(engines, symbol, day),
        }
        if len(set(counts.values())) != 1:
            raise SystemExit(f"{query.name}: engines disagree on row counts {counts}")
    ours = lake.klines(symbol, interval="1h", start=YEAR[0], end=YEAR[1]).drop(
        "average_price", "close_time", "ignore"
    )
    theirs = pl.from_arrow(engines.arrow(AGG_1H, [engines.year_glob(symbol)]))
    assert isinstance(theirs, pl.DataFrame)
    theirs = theirs.with_columns(pl.col("open_time").dt.convert_time_zone("UTC"))
    if not ours.drop("symbol").equals(theirs.select(ours.drop("symbol").columns)):
        raise SystemExit("SDK and DuckDB hourly bars differ")
