"""Every trap of the real archive is planted where ``known_traps()`` says it is."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta

import pytest

from marketlake.catalog import ArchiveKey, Market, parse_checksum
from marketlake.mirror.generate import BIG_TRADES_KEY, GeneratedArchive, known_traps
from tests.mirror.generated_csv import csv_rows, csv_text, small_archive

TRAPS = known_traps()


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return small_archive()


def test_headers_present_or_absent_by_market_and_date(archive: GeneratedArchive) -> None:
    for key in TRAPS.headerless:
        assert csv_text(archive, key)[:1].isdigit(), key
    for key in TRAPS.with_header:
        assert csv_text(archive, key).startswith(("open_time,", "id,", "agg_trade_id,")), key
    assert csv_text(archive, TRAPS.with_header[2]).startswith(
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
        "taker_buy_volume,taker_buy_quote_volume,ignore\n"
    )


def test_spot_switches_to_microseconds_in_2025(archive: GeneratedArchive) -> None:
    for key in TRAPS.microseconds:
        _, rows = csv_rows(archive, key)
        assert (
            1e15 < int(rows[0][0 if "klines" in key else (4 if "/trades/" in key else 5)]) < 1e16
        ), key
    for key in TRAPS.milliseconds:
        _, rows = csv_rows(archive, key)
        assert 1e12 < int(rows[0][0 if "klines" in key else 4]) < 1e13, key


def test_boolean_spelling_by_market(archive: GeneratedArchive) -> None:
    _, spot = csv_rows(archive, TRAPS.booleans_capitalized[0])
    _, futures = csv_rows(archive, TRAPS.booleans_lowercase[0])
    assert {r[5] for r in spot} == {"True", "False"} and {r[6] for r in spot} == {"True"}
    assert {r[5] for r in futures} == {"true", "false"}


def test_empty_cells_in_metrics_and_eoh_summary(archive: GeneratedArchive) -> None:
    for key in TRAPS.empty_cells:
        _, rows = csv_rows(archive, key)
        assert any(cell == "" for row in rows for cell in row), key
    ordinary = "data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2022-01-11.zip"
    assert all(cell for row in csv_rows(archive, ordinary)[1] for cell in row)


def test_duplicated_rows(archive: GeneratedArchive) -> None:
    for key in TRAPS.duplicated_rows:
        _, rows = csv_rows(archive, key)
        assert len({tuple(r) for r in rows}) < len(rows), key
        if "liquidationSnapshot" in key:
            assert rows[::2] == rows[1::2]
    _, clean = csv_rows(
        archive, "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2022-09-08.zip"
    )
    assert len({tuple(r) for r in clean}) == len(clean)


def test_interleaved_monthly_trades_sort_back_into_the_dailies(archive: GeneratedArchive) -> None:
    (key,) = TRAPS.interleaved
    _header, rows = csv_rows(archive, key)
    ids = [int(r[0]) for r in rows]
    assert ids != sorted(ids)
    days = [
        k
        for k in archive.children("data/futures/um/daily/trades/BTCUSDT/")
        if "-2021-03-" in k and k.endswith(".zip")
    ]
    daily_rows = [row for day in days for row in csv_rows(archive, day)[1]]
    assert sorted(rows, key=lambda r: int(r[0])) == daily_rows


def test_trade_id_gaps_inside_a_day(archive: GeneratedArchive) -> None:
    for key in TRAPS.trade_id_gaps:
        _, rows = csv_rows(archive, key)
        if "/trades/" in key:
            steps = {int(b[0]) - int(a[0]) for a, b in itertools.pairwise(rows)}
        else:
            steps = {int(b[3]) - int(a[4]) for a, b in itertools.pairwise(rows)}
        assert steps - {1}, key
        assert len(steps) == 2


def test_outages_leave_minutes_missing(archive: GeneratedArchive) -> None:
    (outage,) = TRAPS.outages
    minute_key, hour_key = TRAPS.outage_keys
    _, minutes = csv_rows(archive, minute_key)
    missing = outage.last_minute - outage.first_minute + 1
    assert len(minutes) == 1440 - missing
    start = int(minutes[0][0])
    present = {(int(r[0]) - start) // 60_000 for r in minutes}
    assert present.isdisjoint(range(outage.first_minute, outage.last_minute + 1))
    _, hours = csv_rows(archive, hour_key)
    assert len(hours) == 24  # 12:18-13:49 leaves both hours partly traded


def test_partial_files(archive: GeneratedArchive) -> None:
    daily, *monthly = TRAPS.partial
    assert len(csv_rows(archive, daily)[1]) == 900
    assert len(csv_rows(archive, monthly[0])[1]) == 7 * 1440
    assert len(csv_rows(archive, monthly[1])[1]) == 7


def test_unpublished_days_are_404_between_published_neighbours(archive: GeneratedArchive) -> None:
    assert len(TRAPS.unpublished) > 5
    for key in TRAPS.unpublished:
        assert archive.stat(key) is None and archive.read(key) is None
        assert archive.stat(key + ".CHECKSUM") is None
        parsed = ArchiveKey.parse(key)
        for offset in (-1, 1):
            neighbour = key.replace(
                parsed.date, (parsed.first_day + timedelta(days=offset)).isoformat()
            )
            assert archive.stat(neighbour) is not None
        assert key not in archive.children(parsed.folder)


def test_regenerated_files_change_checksum_and_are_listed_in_updates() -> None:
    before, after = small_archive(now=date(2026, 9, 30)), small_archive()
    recent = [r for r in TRAPS.regenerations if r.on == date(2026, 10, 1)]
    assert recent
    for regeneration in recent:
        old, new = before.read(regeneration.key), after.read(regeneration.key)
        assert old is not None and new is not None and old != new
        old_info, new_info = before.stat(regeneration.key), after.stat(regeneration.key)
        assert old_info is not None and new_info is not None
        assert old_info.etag != new_info.etag and new_info.last_modified.date() == regeneration.on
        assert regeneration.updates_key not in before.children("updates/")
    assert len(csv_text(after, recent[0].key)) > len(csv_text(before, recent[0].key))


def test_updates_lists_match_the_checksum_files(archive: GeneratedArchive) -> None:
    assert archive.children("updates/") == list(TRAPS.updates_lists)
    for list_key in TRAPS.updates_lists:
        data = archive.read(list_key)
        info = archive.stat(list_key)
        assert data is not None and info is not None and info.size == len(data)
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows[0][0] in ("File", "File Path") and rows[0][1:] == [
            "Original File Checksum",
            "New File Checksum",
        ]
        for label, original, new in rows[1:]:
            (regeneration,) = [
                r
                for r in TRAPS.regenerations
                if r.key.endswith(label)
                or r.key == label + ".zip"
                or r.key.endswith(label + ".zip")
            ]
            checksum = archive.read(regeneration.key + ".CHECKSUM")
            assert checksum is not None
            assert new == checksum.decode()
            assert parse_checksum(original)[1] == parse_checksum(new)[1]
            assert original != new


def test_wide_decimals_and_book_depth_bands(archive: GeneratedArchive) -> None:
    (key,) = TRAPS.wide_decimals
    _, rows = csv_rows(archive, key)
    assert any(len(r[3].replace(".", "").lstrip("0")) >= 17 for r in rows)
    old = {r[1] for r in csv_rows(archive, TRAPS.book_depth_integer_percent[0])[1]}
    mid = {r[1] for r in csv_rows(archive, TRAPS.book_depth_two_decimals[0])[1]}
    new = {r[1] for r in csv_rows(archive, TRAPS.book_depth_narrow_bands[0])[1]}
    assert old == {"-5", "-4", "-3", "-2", "-1", "1", "2", "3", "4", "5"}
    assert mid == {f"{b}.00" for b in ("-5", "-4", "-3", "-2", "-1", "1", "2", "3", "4", "5")}
    assert new == mid | {"-0.20", "0.20"}


def test_book_depth_is_cumulative_outwards(archive: GeneratedArchive) -> None:
    _, rows = csv_rows(archive, TRAPS.book_depth_narrow_bands[0])
    snapshot = rows[:12]
    depths = [float(r[2]) for r in snapshot]
    assert depths[:6] == sorted(depths[:6], reverse=True) and depths[6:] == sorted(depths[6:])


def test_funding_interval_changes_inside_a_month(archive: GeneratedArchive) -> None:
    for key in TRAPS.funding_interval_changes:
        header, rows = csv_rows(archive, key)
        assert header == ["calc_time", "funding_interval_hours", "last_funding_rate"]
        hours = [r[1] for r in rows]
        assert len(set(hours)) > 1, key
        assert {int(r[0]) % 1000 for r in rows} - {0}  # ms jitter on calc_time
    assert {r[1] for r in csv_rows(archive, TRAPS.funding_interval_changes[1])[1]} == {"4", "1"}


def test_busy_day_key_is_a_constant_and_small_without_big_mode(archive: GeneratedArchive) -> None:
    assert TRAPS.big_trades == BIG_TRADES_KEY
    _, rows = csv_rows(archive, BIG_TRADES_KEY)
    assert 100 < len(rows) < 20_000
    assert ArchiveKey.parse(BIG_TRADES_KEY).market is Market.UM


@pytest.mark.slow
def test_big_mode_serves_a_five_million_row_trades_day() -> None:
    import zlib

    data = GeneratedArchive(seed=0, now=date(2026, 11, 21), big=True).read(BIG_TRADES_KEY)
    assert data is not None
    inflater = zlib.decompressobj(-15)
    start = 30 + len(BIG_TRADES_KEY.rsplit("/", 1)[1].replace(".zip", ".csv"))
    body = memoryview(data)[start:]
    lines = 0
    for offset in range(0, len(body), 1 << 22):
        lines += inflater.decompress(body[offset : offset + (1 << 22)]).count(b"\n")
    assert lines == 5_000_000 + 1  # with its header row


def test_eoh_summary_header_says_symbol_as_the_archive_does(archive: GeneratedArchive) -> None:
    header, rows = csv_rows(
        archive, "data/option/daily/EOHSummary/BTCUSDT/BTCUSDT-EOHSummary-2023-03-10.zip"
    )
    assert header is not None and header[:4] == ["date", "hour", "symbol", "underlying"]
    assert rows[0][2].startswith("BTC-230317-") and rows[0][3] == "BTCUSDT"


def test_every_listed_trap_key_is_served(archive: GeneratedArchive) -> None:
    listed: list[str] = []
    for name, value in vars(TRAPS).items():
        if name in ("unpublished", "regenerations", "outages", "updates_lists", "big_trades"):
            continue
        listed.extend(value)
    listed.extend(r.key for r in TRAPS.regenerations)
    assert len(listed) > 60
    for key in listed:
        assert archive.stat(key) is not None, key
