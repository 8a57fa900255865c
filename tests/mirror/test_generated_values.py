"""Generated values are internally consistent: bars, resampling, monthly = dailies, trades."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest

from marketlake.catalog import ArchiveKey, Market, get_dataset
from marketlake.mirror.generate import GeneratedArchive
from marketlake.mirror.generate.schedule import ARCHIVE_SPELLINGS
from tests.mirror.generated_csv import csv_rows, csv_text, small_archive

Row = Sequence[str]


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return small_archive()


def _klines(archive: GeneratedArchive, key: str) -> list[list[str]]:
    header, rows = csv_rows(archive, key)
    if header is not None:
        assert header == [c.name for c in get_dataset("klines").columns_for(Market.UM)]
    return rows


def _resample(rows: Sequence[Row], width: int, origin: int = 0) -> list[list[object]]:
    """OHLCV bars of ``width`` (in the file's unit, aligned on ``origin``) from finer rows."""
    groups: dict[int, list[Row]] = {}
    for row in rows:
        groups.setdefault((int(row[0]) - origin) // width * width + origin, []).append(row)
    out: list[list[object]] = []
    for start, members in sorted(groups.items()):
        out.append(
            [
                start,
                Decimal(members[0][1]),
                max(Decimal(r[2]) for r in members),
                min(Decimal(r[3]) for r in members),
                Decimal(members[-1][4]),
                sum(Decimal(r[5]) for r in members),
                start + width - 1,
                sum(Decimal(r[7]) for r in members),
                sum(int(r[8]) for r in members),
                sum(Decimal(r[9]) for r in members),
                sum(Decimal(r[10]) for r in members),
            ]
        )
    return out


def _typed(rows: Sequence[Row]) -> list[list[object]]:
    return [
        [
            int(r[0]),
            *map(Decimal, r[1:6]),
            int(r[6]),
            Decimal(r[7]),
            int(r[8]),
            Decimal(r[9]),
            Decimal(r[10]),
        ]
        for r in rows
    ]


@pytest.mark.parametrize(
    "key",
    [
        "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-03-04.zip",
        "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-04.zip",
        "data/futures/um/daily/klines/1000BONKUSDT/5m/1000BONKUSDT-5m-2024-06-01.zip",
        "data/futures/cm/daily/klines/BTCUSD_PERP/1h/BTCUSD_PERP-1h-2023-06-01.zip",
        "data/spot/monthly/klines/ETHBTC/1d/ETHBTC-1d-2019-05.zip",
        "data/futures/um/daily/markPriceKlines/ETHUSDT/1m/ETHUSDT-1m-2024-01-02.zip",
        "data/futures/um/daily/premiumIndexKlines/ETHUSDT/1m/ETHUSDT-1m-2024-01-02.zip",
    ],
)
def test_bars_are_consistent(archive: GeneratedArchive, key: str) -> None:
    rows = _klines(archive, key)
    parsed = ArchiveKey.parse(key)
    unit = 1000 if parsed.first_day >= date(2025, 1, 1) and parsed.market.value == "spot" else 1
    width = {"1m": 60_000, "5m": 300_000, "1h": 3_600_000, "1d": 86_400_000}[parsed.interval or ""]
    for row in rows:
        open_, high, low, close, volume = map(Decimal, row[1:6])
        assert high >= max(open_, close) and low <= min(open_, close)
        assert int(row[6]) == int(row[0]) + width * unit - 1
        assert row[11] == "0"
        if parsed.dataset == "klines" and parsed.market.value != "cm":
            assert low * volume <= Decimal(row[7]) <= high * volume
            assert Decimal(row[9]) <= volume and Decimal(row[10]) <= Decimal(row[7])
    assert [int(r[0]) for r in rows] == sorted(int(r[0]) for r in rows)


def test_spot_prices_have_eight_decimals_futures_the_instrument_precision(
    archive: GeneratedArchive,
) -> None:
    spot = _klines(archive, "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2021-03-04.zip")[0]
    futures = _klines(archive, "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-04-15.zip")[
        0
    ]
    assert all(len(v.partition(".")[2]) == 8 for v in spot[1:6])
    assert [len(v.partition(".")[2]) for v in futures[1:6]] == [2, 2, 2, 2, 3]


@pytest.mark.parametrize(
    "interval, width", [("5m", 300_000), ("1h", 3_600_000), ("4h", 14_400_000), ("1d", 86_400_000)]
)
def test_coarser_daily_files_equal_the_1m_file_resampled(
    archive: GeneratedArchive, interval: str, width: int
) -> None:
    base = "data/spot/daily/klines/SOLUSDT/{0}/SOLUSDT-{0}-2022-07-19.zip"
    minutes = _klines(archive, base.format("1m"))
    assert len(minutes) == 1440
    assert _typed(_klines(archive, base.format(interval))) == _resample(minutes, width)


def test_one_second_klines_aggregate_to_the_minute(archive: GeneratedArchive) -> None:
    seconds = _klines(archive, "data/spot/daily/klines/BTCUSDT/1s/BTCUSDT-1s-2025-12-31.zip")
    minutes = _typed(
        _klines(archive, "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-12-31.zip")
    )
    assert len(seconds) == 86_400
    resampled = _resample(seconds, 60_000_000)
    for got, want in zip(resampled, minutes, strict=True):
        assert got[:7] == want[:7] and got[8:10] == want[8:10]  # quote volumes only approximately


def test_monthly_files_equal_their_daily_files(archive: GeneratedArchive) -> None:
    for dataset, interval in (
        ("klines", "1m"),
        ("klines", "1d"),
        ("trades", None),
        ("aggTrades", None),
    ):
        folder = f"data/spot/daily/{dataset}/龙虾USDT/" + (f"{interval}/" if interval else "")
        daily = [k for k in archive.children(folder) if "-2025-12-" in k and k.endswith(".zip")]
        assert len(daily) == 31
        monthly_key = (
            ArchiveKey.parse(daily[0])
            .zip_key.replace("daily", "monthly")
            .replace("-2025-12-01", "-2025-12")
        )
        assert csv_text(archive, monthly_key) == "".join(csv_text(archive, k) for k in daily)


def test_monthly_week_file_holds_weeks_opening_in_the_month(archive: GeneratedArchive) -> None:
    weeks = _typed(_klines(archive, "data/spot/monthly/klines/BTCUSDT/1w/BTCUSDT-1w-2020-02.zip"))
    days = [
        row
        for month in ("2020-02", "2020-03")
        for row in _klines(archive, f"data/spot/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-{month}.zip")
    ]
    monday = 1580688000000  # 2020-02-03
    week = 7 * 86_400_000
    assert [w[0] for w in weeks] == [monday + i * week for i in range(4)]
    assert int(str(weeks[-1][6])) > 1583020800000  # its last bar ends in March
    in_weeks = [d for d in days if monday <= int(d[0]) < monday + 4 * week]
    assert weeks == _resample(in_weeks, week, origin=monday)


def test_trades_are_ordered_and_aggtrades_cover_them_exactly(archive: GeneratedArchive) -> None:
    for market, symbol in (
        ("spot", "ETHUSDT"),
        ("futures/um", "ETHUSDT"),
        ("futures/cm", "ETHUSD_PERP"),
    ):
        base = f"data/{market}/daily/{{0}}/{symbol}/{symbol}-{{0}}-2023-01-01.zip"
        _, trades = csv_rows(archive, base.format("trades"))
        _, aggs = csv_rows(archive, base.format("aggTrades"))
        ids = [int(t[0]) for t in trades]
        times = [int(t[4]) for t in trades]
        assert ids == list(range(ids[0], ids[0] + len(ids)))
        assert times == sorted(times)
        assert [int(a[0]) for a in aggs] == list(
            range(int(aggs[0][0]), int(aggs[0][0]) + len(aggs))
        )
        assert int(aggs[0][3]) == ids[0] and int(aggs[-1][4]) == ids[-1]
        for previous, current in itertools.pairwise(aggs):
            assert int(current[3]) == int(previous[4]) + 1
        by_id = {int(t[0]): t for t in trades}
        for agg in aggs[:200]:
            members = [by_id[i] for i in range(int(agg[3]), int(agg[4]) + 1)]
            assert {m[1] for m in members} == {agg[1]}
            assert sum(Decimal(m[2]) for m in members) == Decimal(agg[2])
        if market != "futures/cm":
            assert all(Decimal(t[3]) == Decimal(t[1]) * Decimal(t[2]) for t in trades[:500])


def test_ids_continue_from_one_day_to_the_next(archive: GeneratedArchive) -> None:
    day = date(2023, 1, 1)
    keys = [
        f"data/futures/um/daily/trades/BNBUSDT/BNBUSDT-trades-{day + timedelta(days=i)}.zip"
        for i in range(2)
    ]
    (_, first), (_, second) = (csv_rows(archive, k) for k in keys)
    assert int(second[0][0]) == int(first[-1][0]) + 1


def test_every_file_has_the_catalog_columns(archive: GeneratedArchive) -> None:
    keys = [
        "data/futures/um/daily/bookTicker/BTCUSDT/BTCUSDT-bookTicker-2024-01-02.zip",
        "data/futures/cm/monthly/bookTicker/BTCUSD_PERP/BTCUSD_PERP-bookTicker-2024-01.zip",
        "data/futures/cm/daily/bookDepth/BTCUSD_PERP/BTCUSD_PERP-bookDepth-2024-01-02.zip",
        "data/futures/um/daily/metrics/0GUSDT/0GUSDT-metrics-2025-10-02.zip",
        "data/futures/cm/monthly/fundingRate/ETHUSD_PERP/ETHUSD_PERP-fundingRate-2022-02.zip",
        "data/futures/um/daily/liquidationSnapshot/ETHUSDT/ETHUSDT-liquidationSnapshot-2024-01-02.zip",
        "data/option/daily/BVOLIndex/ETHBVOLUSDT/ETHBVOLUSDT-BVOLIndex-2024-01-02.zip",
        "data/option/daily/EOHSummary/XRPUSDT/XRPUSDT-EOHSummary-2023-05-02.zip",
        "data/futures/cm/daily/indexPriceKlines/BTCUSD/1m/BTCUSD-1m-2024-01-02.zip",
        "data/spot/daily/aggTrades/PEPEUSDT/PEPEUSDT-aggTrades-2024-01-02.zip",
    ]
    for key in keys:
        parsed = ArchiveKey.parse(key)
        names = [c.name for c in get_dataset(parsed.dataset).columns_for(parsed.market)]
        header, rows = csv_rows(archive, key)
        assert rows, key
        assert all(len(row) == len(names) for row in rows), key
        if get_dataset(parsed.dataset).always_header:
            assert header == [ARCHIVE_SPELLINGS.get(n, n) for n in names]


def test_seconds_trade_exactly_when_they_have_volume(archive: GeneratedArchive) -> None:
    _, seconds = csv_rows(archive, "data/spot/daily/klines/BTCUSDT/1s/BTCUSDT-1s-2026-01-01.zip")
    assert all((Decimal(r[5]) > 0) == (int(r[8]) > 0) for r in seconds)


def test_long_bars_of_a_listing_month_open_at_the_aligned_time(archive: GeneratedArchive) -> None:
    base = "data/spot/monthly/klines/龙虾USDT/{0}/龙虾USDT-{0}-2025-10.zip"  # listed 2025-10-20
    days = _typed(_klines(archive, base.format("1d")))
    (month,) = _typed(_klines(archive, base.format("1mo")))
    assert month[0] == 1759276800000000  # 2025-10-01 (in microseconds), before listing
    assert month[1] == days[0][1] and month[4] == days[-1][4]
    assert month[5] == sum(d[5] for d in days)  # type: ignore[misc]
    weeks = _typed(_klines(archive, base.format("1w")))
    assert weeks[0][0] == 1760918400000000  # Monday 2025-10-20
