"""Every dataset method returns exactly the values of the archive's CSV (ingested from the
stand-in), with ``symbol`` first, in the requested time range."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from marketlake import Lake
from marketlake.catalog import get_dataset
from marketlake.errors import LakeError
from tests.lake.read_support import daily_key, partition_truth, read_test_lake


@pytest.fixture(scope="module")
def lake() -> Iterator[Lake]:
    with Lake(read_test_lake()) as opened:
        yield opened


def _rows(frame: pl.DataFrame, dataset: str, market: str) -> list[tuple[object, ...]]:
    """The frame's rows in the lake's column order (the CSV's), ``symbol`` dropped where the
    reader added it."""
    from marketlake.catalog import Market

    names = [c.name for c in get_dataset(dataset).columns_for(Market(market))]
    return list(frame.select(names).iter_rows())


STORED = [
    ("trades", "trades", "um", "BTCUSDT", date(2024, 1, 31)),
    ("trades", "trades", "cm", "BTCUSD_PERP", date(2024, 1, 31)),
    ("trades", "trades", "spot", "ETHUSDT", date(2023, 1, 1)),
    ("agg_trades", "aggTrades", "um", "ETHUSDT", date(2024, 2, 1)),
    ("agg_trades", "aggTrades", "spot", "BTCUSDT", date(2025, 1, 1)),
    ("book_ticker", "bookTicker", "um", "BTCUSDT", date(2024, 3, 1)),
    ("book_depth", "bookDepth", "um", "BTCUSDT", date(2024, 5, 1)),
    ("metrics", "metrics", "um", "BTCUSDT", date(2022, 1, 10)),
    ("liquidation_snapshot", "liquidationSnapshot", "um", "BTCUSDT", date(2023, 7, 1)),
]


@pytest.mark.parametrize(("method", "dataset", "market", "symbol", "day"), STORED, ids=str)
def test_each_dataset_method_returns_the_csv_values(  # noqa: PLR0917
    lake: Lake, method: str, dataset: str, market: str, symbol: str, day: date
) -> None:
    frame = getattr(lake, method)(
        symbol, market=market, start=day, end=date.fromordinal(day.toordinal() + 1)
    )
    truth = partition_truth(daily_key(market, dataset, symbol, day))
    assert len(truth) > 0
    assert _rows(frame, dataset, market) == truth
    assert frame["symbol"].unique().to_list() == [symbol]
    assert frame.columns[0] == "symbol" or dataset == "metrics"


def test_option_datasets_return_the_csv_values(lake: Lake) -> None:
    bvol = lake.bvol_index("BTCBVOLUSDT", start="2023-07-01", end="2023-07-02")
    assert _rows(bvol, "BVOLIndex", "option") == partition_truth(
        daily_key("option", "BVOLIndex", "BTCBVOLUSDT", date(2023, 7, 1))
    )
    eoh = lake.eoh_summary("BTCUSDT", start="2023-03-10", end="2023-03-11")
    truth = partition_truth(daily_key("option", "EOHSummary", "BTCUSDT", date(2023, 3, 10)))
    assert _rows(eoh, "EOHSummary", "option") == truth
    assert any(value is None for row in truth for value in row), "the trap has empty cells"
    assert eoh.columns[:2] == ["symbol", "date"]


def test_funding_rate_of_a_month_returns_the_monthly_file(lake: Lake) -> None:
    frame = lake.funding_rate("BTCUSDT", start="2024-01-01", end="2024-02-01")
    truth = partition_truth(daily_key("um", "fundingRate", "BTCUSDT", date(2024, 1, 1)))
    assert _rows(frame, "fundingRate", "um") == truth


def test_klines_as_stored_return_the_csv_values_across_files(lake: Lake) -> None:
    frame = lake.klines(["ETHUSDT", "BTCUSDT"], interval="1m", start="2024-01-30", end="2024-02-03")
    for symbol in ("BTCUSDT", "ETHUSDT"):
        truth = [
            row
            for day in (30, 31)
            for row in partition_truth(daily_key("um", "klines", symbol, date(2024, 1, day), "1m"))
        ] + [
            row
            for day in (1, 2)
            for row in partition_truth(daily_key("um", "klines", symbol, date(2024, 2, day), "1m"))
        ]
        assert _rows(frame.filter(pl.col("symbol") == symbol), "klines", "um") == truth
    assert frame["symbol"].to_list() == sorted(frame["symbol"].to_list())


@pytest.mark.parametrize("max_scans", [8, 1], ids=["runs", "one-filtered-scan"])
def test_bounds_inside_files_cut_them_and_whole_files_are_read_whole(
    lake: Lake, max_scans: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per symbol the first and last day's files are cut, the two between are wholly inside
    (read without a filter): six runs of files, or one filtered scan past ``MAX_SCANS``."""
    import marketlake.lake.sources

    monkeypatch.setattr(marketlake.lake.sources, "MAX_SCANS", max_scans)
    start = datetime(2024, 1, 30, 12, 0, 30, tzinfo=UTC)  # inside a bar: it starts after
    end = datetime(2024, 2, 2, 6, 0, tzinfo=UTC)
    frame = lake.klines(["BTCUSDT", "ETHUSDT"], interval="1m", start=start, end=end)
    days = [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 2)]
    for symbol in ("BTCUSDT", "ETHUSDT"):
        truth = [
            row
            for day in days
            for row in partition_truth(daily_key("um", "klines", symbol, day, "1m"))
            if start <= row[0] < end  # type: ignore[operator]
        ]
        assert len(truth) == 2 * 1440 + 719 + 360
        assert _rows(frame.filter(pl.col("symbol") == symbol), "klines", "um") == truth


@pytest.mark.parametrize(
    "method", ["mark_price_klines", "index_price_klines", "premium_index_klines"]
)
def test_kline_family_methods_read_their_dataset(lake: Lake, method: str) -> None:
    dataset = {
        "mark_price_klines": "markPriceKlines",
        "index_price_klines": "indexPriceKlines",
    }.get(method, "premiumIndexKlines")
    frame = getattr(lake, method)("BTCUSDT", start="2024-01-31", end="2024-02-01")
    truth = partition_truth(daily_key("um", dataset, "BTCUSDT", date(2024, 1, 31), "1m"))
    assert _rows(frame, dataset, "um") == truth


def test_coin_m_klines_keep_their_own_column_names_and_have_no_average_price(lake: Lake) -> None:
    frame = lake.klines("BTCUSD_PERP", market="cm", start="2024-01-31", end="2024-02-01")
    assert "base_volume" in frame.columns
    assert "average_price" not in frame.columns
    truth = partition_truth(daily_key("cm", "klines", "BTCUSD_PERP", date(2024, 1, 31), "1m"))
    assert _rows(frame, "klines", "cm") == truth


def test_milliseconds_and_microseconds_read_back_in_one_unit(lake: Lake) -> None:
    frame = lake.klines("BTCUSDT", market="spot", start="2024-12-31T23:59", end="2025-01-01T00:01")
    assert frame["open_time"].to_list() == [
        datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    ]
    assert frame["close_time"].to_list() == [
        datetime(2024, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 59, 999999, tzinfo=UTC),
    ]
    assert frame.schema["open_time"] == pl.Datetime("us", "UTC")


def test_time_range_is_half_open_on_the_time_column(lake: Lake) -> None:
    frame = lake.agg_trades("BTCUSDT", start="2024-01-31T10:00", end="2024-01-31T11:00")
    times = frame["transact_time"]
    assert times.min() >= datetime(2024, 1, 31, 10, tzinfo=UTC)  # type: ignore[operator]
    assert times.max() < datetime(2024, 1, 31, 11, tzinfo=UTC)  # type: ignore[operator]
    whole = lake.agg_trades("BTCUSDT", start="2024-01-31", end="2024-02-01")
    inside = whole.filter(
        (pl.col("transact_time") >= datetime(2024, 1, 31, 10, tzinfo=UTC))
        & (pl.col("transact_time") < datetime(2024, 1, 31, 11, tzinfo=UTC))
    )
    assert frame.equals(inside)


def test_every_symbol_when_none_are_named(lake: Lake) -> None:
    frame = lake.agg_trades(start="2024-01-31", end="2024-02-02")
    assert frame["symbol"].unique().sort().to_list() == ["BTCUSDT", "ETHUSDT"]
    assert frame.height == len(
        [
            row
            for symbol in ("BTCUSDT", "ETHUSDT")
            for day in (31, 1)
            for row in partition_truth(
                daily_key("um", "aggTrades", symbol, date(2024, 1 if day == 31 else 2, day))
            )
        ]
    )


def test_an_unknown_symbol_gives_an_empty_answer_with_the_full_schema(lake: Lake) -> None:
    frame = lake.klines("NOSUCHUSDT", interval="4h")
    assert frame.height == 0
    assert (
        frame.columns
        == lake.klines("BTCUSDT", interval="4h", start="2024-01-31", end="2024-02-01").columns
    )


def test_lazy_and_eager_answers_agree(lake: Lake) -> None:
    eager = lake.trades("BTCUSDT", start="2024-01-31", end="2024-02-01")
    lazy = lake.trades("BTCUSDT", start="2024-01-31", end="2024-02-01", lazy=True)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(eager)
    assert (
        lake.klines("BTCUSDT", interval="4h", lazy=True)
        .collect()
        .equals(lake.klines("BTCUSDT", interval="4h"))
    )


def test_a_missing_lake_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="no lake at"):
        Lake(tmp_path / "nowhere")
