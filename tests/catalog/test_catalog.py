"""The catalog: key grammar round trips, intervals, CHECKSUM format, publication rules."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketlake.catalog import (
    DATASETS,
    ArchiveKey,
    Interval,
    Market,
    Period,
    format_checksum,
    get_dataset,
    parse_checksum,
)
from marketlake.catalog.arrow import lake_schema
from marketlake.catalog.publication import (
    earliest_publication,
    first_monday_after_month,
    latest_publication,
)
from marketlake.errors import ArchiveKeyError, CatalogError

SHAPES = [
    (market, period, name, interval)
    for name, spec in DATASETS.items()
    for market in spec.markets
    for period in spec.periods_for(market)
    for interval in (spec.intervals_for(market, period) or (None,))
]
SYMBOLS = st.sampled_from(["BTCUSDT", "BTCUSD_PERP", "1000BONKUSDT", "0GUSDT", "币安人生USDT"])


@given(
    shape=st.sampled_from(SHAPES), symbol=SYMBOLS, day=st.dates(date(2017, 1, 1), date(2030, 1, 1))
)
def test_every_key_shape_formats_and_parses_back(
    shape: tuple[Market, Period, str, str | None], symbol: str, day: date
) -> None:
    market, period, dataset, interval = shape
    text = day.isoformat() if period is Period.DAILY else day.isoformat()[:7]
    key = ArchiveKey(market, period, dataset, symbol, interval, text)
    assert ArchiveKey.parse(key.zip_key) == key
    assert ArchiveKey.parse(key.checksum_key) == key
    assert key.csv_name == key.file_name.replace(".zip", ".csv")
    assert key.first_day <= key.last_day


def test_real_keys_parse_into_their_parts() -> None:
    key = ArchiveKey.parse(
        "data/futures/cm/daily/indexPriceKlines/BTCUSD/5m/BTCUSD-5m-2024-01-01.zip"
    )
    assert (key.market, key.period, key.dataset, key.symbol, key.interval, key.date) == (
        Market.CM, Period.DAILY, "indexPriceKlines", "BTCUSD", "5m", "2024-01-01",
    )  # fmt: skip
    monthly = ArchiveKey.parse("data/spot/monthly/klines/BTCUSDT/1mo/BTCUSDT-1mo-2024-02.zip")
    assert (monthly.first_day, monthly.last_day) == (date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize(
    "bad",
    [
        "data/spot/daily/klines/BTCUSDT/BTCUSDT-1m-2023-01-01.zip",
        "data/spot/daily/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2023-01-01.zip",
        "data/futures/um/monthly/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2023-01.zip",
        "data/spot/daily/trades/BTCUSDT/ETHUSDT-trades-2023-01-01.zip",
        "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2023-01.zip",
        "data/nowhere/daily/trades/BTCUSDT/BTCUSDT-trades-2023-01-01.zip",
        "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2023-01-01.csv",
    ],
)
def test_keys_outside_the_grammar_are_refused(bad: str) -> None:
    with pytest.raises(ArchiveKeyError):
        ArchiveKey.parse(bad)


def test_intervals_follow_the_archive_spelling() -> None:
    assert Interval.parse("4h").seconds == 4 * 3600
    assert Interval.parse("1w").seconds == 7 * 86400
    month = Interval.parse("1mo")
    assert month.is_calendar
    assert month.bar_end(datetime(2024, 1, 1)) == datetime(2024, 2, 1)
    assert Interval.parse("1m").bar_end(datetime(2024, 1, 1)) == datetime(2024, 1, 1, 0, 1)
    for bad in ("1M", "0m", "m", "5x"):
        with pytest.raises(CatalogError):
            Interval.parse(bad)


def test_spot_has_one_second_klines_and_monthly_only_intervals_are_monthly() -> None:
    klines = get_dataset("klines")
    assert "1s" in klines.intervals_for(Market.SPOT, Period.DAILY)
    assert "1s" not in klines.intervals_for(Market.UM, Period.DAILY)
    assert "1mo" not in klines.intervals_for(Market.UM, Period.DAILY)
    assert klines.intervals_for(Market.UM, Period.MONTHLY)[-3:] == ("3d", "1w", "1mo")


def test_checksum_text_is_exact_and_parses_back() -> None:
    digest = "ab" * 32
    text = format_checksum(digest, "BTCUSDT-1m-2024-01-01.zip")
    assert text == f"{digest}  BTCUSDT-1m-2024-01-01.zip"
    assert parse_checksum(text) == (digest, "BTCUSDT-1m-2024-01-01.zip")
    for bad in ("", "nothex  x.zip", f"{digest} x.zip", f"{'zz' * 32}  x.zip"):
        with pytest.raises(ArchiveKeyError):
            parse_checksum(bad)


def test_publication_windows() -> None:
    assert earliest_publication(Period.DAILY, date(2024, 3, 5)) == date(2024, 3, 6)
    assert first_monday_after_month(date(2024, 2, 1)) == date(2024, 3, 4)
    assert earliest_publication(Period.MONTHLY, date(2024, 2, 1)) == date(2024, 3, 4)
    assert latest_publication(Market.UM, Period.DAILY, date(2024, 3, 5)) == date(2024, 3, 9)
    assert latest_publication(Market.SPOT, Period.DAILY, date(2024, 3, 5)) == date(2024, 3, 6)
    assert latest_publication(Market.SPOT, Period.MONTHLY, date(2024, 12, 1)) == date(2025, 1, 15)


def test_lake_schemas_are_exact_and_cm_names_say_what_volumes_hold() -> None:
    um = lake_schema("klines", Market.UM)
    cm = lake_schema("klines", Market.CM)
    assert str(um.field("open_time").type) == "timestamp[us, tz=UTC]"
    assert str(um.field("open").type) == "decimal128(18, 8)"
    assert str(um.field("quote_volume").type) == "decimal128(38, 8)"
    assert "base_volume" in cm.names and "quote_volume" not in cm.names
    assert cm.metadata[b"marketlake.market"] == b"cm"
