"""CSV text to typed Arrow batches: header sniffing, exact values, units, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from marketlake.catalog import ArchiveKey
from marketlake.catalog.arrow import lake_schema
from marketlake.errors import MalformedDataError
from marketlake.ingest.decode import decode_csv
from marketlake.ingest.write import decode_to_lake
from tests.ingest.decode_support import csv_zip

UM_KLINES = ArchiveKey.parse("data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-05.zip")
CM_KLINES = ArchiveKey.parse(
    "data/futures/cm/daily/klines/BTCUSD_PERP/1m/BTCUSD_PERP-1m-2024-01-05.zip"
)
UM_TRADES = ArchiveKey.parse("data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-05.zip")
SPOT_TRADES = ArchiveKey.parse("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-05.zip")
METRICS = ArchiveKey.parse("data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-05.zip")
BOOK_DEPTH = ArchiveKey.parse(
    "data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-05.zip"
)
EOH = ArchiveKey.parse("data/option/daily/EOHSummary/BTCUSDT/BTCUSDT-EOHSummary-2023-01-05.zip")

KLINE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore\n"
)
KLINE_ROW = (
    "1704412800000,42000.10,42010.00,41990.50,42005.00,12.345,1704412859999,"
    "518569.12345,321,6.5,273000.5,0\n"
)
TRADES_HEADER = "id,price,qty,quote_qty,time,is_buyer_maker\n"


def _decode(key: ArchiveKey, text: str, **options: int) -> pa.Table:
    batches = list(decode_csv([text.encode()], key, **options))
    return pa.Table.from_batches(batches, schema=lake_schema(key.dataset, key.market))


def _rows(key: ArchiveKey, text: str, **options: int) -> list[dict[str, object]]:
    return _decode(key, text, **options).to_pylist()


def test_header_is_sniffed_per_file() -> None:
    with_header = _decode(UM_KLINES, KLINE_HEADER + KLINE_ROW)
    without = _decode(UM_KLINES, KLINE_ROW)
    assert with_header.equals(without) and with_header.num_rows == 1


def test_negative_first_field_is_data_and_bom_and_crlf_are_handled() -> None:
    rows = _rows(BOOK_DEPTH, "\ufefftimestamp,percentage,depth,notional\r\n"
                 "2024-01-05 00:00:04,-5.00,1.5,2.5\r\n")  # fmt: skip
    assert rows[0]["percentage"] == Decimal("-5.00")
    assert rows[0]["timestamp"] == datetime(2024, 1, 5, 0, 0, 4, tzinfo=UTC)


def test_dataset_that_always_has_a_header_refuses_a_file_without() -> None:
    with pytest.raises(MalformedDataError, match="no header"):
        _decode(BOOK_DEPTH, "2024-01-05 00:00:04,-5.00,1.5,2.5\n")


def test_header_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(MalformedDataError, match="header has 5 columns, expected 4"):
        _decode(BOOK_DEPTH, "timestamp,percentage,depth,notional,extra\n")


def test_cm_kline_columns_take_the_catalog_names_by_position() -> None:
    (row,) = _rows(CM_KLINES, KLINE_HEADER + KLINE_ROW)
    assert row["base_volume"] == Decimal("518569.12345")
    assert row["taker_buy_base_volume"] == Decimal("273000.5")
    assert "quote_volume" not in row


def test_values_are_exact_and_times_are_utc_microseconds() -> None:
    (row,) = _rows(UM_KLINES, KLINE_ROW)
    assert row["open"] == Decimal("42000.10")
    assert row["volume"] == Decimal("12.345")
    assert row["open_time"] == datetime(2024, 1, 5, tzinfo=UTC)
    assert row["close_time"] == datetime(2024, 1, 5, 0, 0, 59, 999000, tzinfo=UTC)
    assert (row["count"], row["ignore"]) == (321, 0)


def test_seventeen_and_more_significant_digits_survive() -> None:
    big = "123456789012345678901234567890.12345678"  # 38 digits: the column's full precision
    text = f"1,99999999.99999999,{big},0.00000001,1704412800000,true\n"
    (row,) = _rows(UM_TRADES, text)
    assert row["qty"] == Decimal(big)
    assert row["price"] == Decimal("99999999.99999999")
    assert row["quote_qty"] == Decimal("0.00000001")


def test_too_many_decimals_is_refused_not_rounded() -> None:
    text = TRADES_HEADER + "1,42000.1,0.001,42.0001,1704412800000,true\n"
    text += "2,42000.123456789,0.001,42.0001,1704412800001,false\n"
    with pytest.raises(MalformedDataError) as caught:
        _decode(UM_TRADES, text)
    assert "'price'" in caught.value.message
    assert "42000.123456789" in caught.value.message
    assert "row 2" in caught.value.message


def test_refused_value_is_named_in_a_later_block() -> None:
    rows = "".join(f"{i},1.5,0.001,0.0015,{1704412800000 + i},true\n" for i in range(3000))
    bad = "3000,1.5,0.001,0.0015,1704412803000,maybe\n"
    with pytest.raises(MalformedDataError) as caught:
        _decode(UM_TRADES, rows + bad, block_size=4096)
    message = caught.value.message
    assert "'is_buyer_maker'" in message and "row 3001" in message and "'maybe'" in message


def test_wrong_column_count_names_the_row() -> None:
    text = KLINE_ROW + KLINE_ROW.replace(",0\n", "\n")
    with pytest.raises(MalformedDataError, match=r"data row 2 has 11 columns, expected 12"):
        _decode(UM_KLINES, text)


def test_text_in_a_number_column_is_refused() -> None:
    with pytest.raises(MalformedDataError, match=r"column 'count'.*'abc'"):
        _decode(UM_KLINES, KLINE_ROW.replace(",321,", ",abc,"))


def test_text_in_an_epoch_column_is_refused() -> None:
    with pytest.raises(MalformedDataError, match=r"column 'open_time'"):
        _decode(UM_KLINES, KLINE_ROW.replace("1704412800000,", "2024-01-05,", 1))


def test_booleans_of_both_spellings_and_nothing_else() -> None:
    text = "1,1,1,1,1735689600000000,True,False\n2,1,1,1,1735689600000001,true,false\n"
    rows = _rows(SPOT_TRADES, text)
    assert [(r["is_buyer_maker"], r["is_best_match"]) for r in rows] == [(True, False)] * 2
    with pytest.raises(MalformedDataError, match="is_buyer_maker"):
        _decode(SPOT_TRADES, text.replace("True", "TRUE"))


def test_milliseconds_and_microseconds_land_as_the_same_instant() -> None:
    ms = _rows(SPOT_TRADES, "1,1,1,1,1735689600123,True,True\n")
    us = _rows(SPOT_TRADES, "1,1,1,1,1735689600123000,True,True\n")
    assert ms[0]["time"] == us[0]["time"] == datetime(2025, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)


def test_a_file_that_mixes_units_is_refused() -> None:
    text = "1,1,1,1,1735689600123,True,True\n2,1,1,1,1735689600124000,True,True\n"
    with pytest.raises(MalformedDataError, match="mixes epoch units"):
        _decode(SPOT_TRADES, text)


def test_units_are_checked_in_every_batch() -> None:
    rows = "".join(f"{i},1,1,1,{1735689600000 + i},True,True\n" for i in range(2000))
    late = "2000,1,1,1,1735689602000000,True,True\n"
    with pytest.raises(MalformedDataError, match="mixes epoch units"):
        _decode(SPOT_TRADES, rows + late, block_size=4096)


def test_empty_cells_are_null_not_zero() -> None:
    header = (
        "create_time,symbol,sum_open_interest,sum_open_interest_value,"
        "count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,"
        "count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
    )
    (row,) = _rows(METRICS, header + "2024-01-05 00:05:00,BTCUSDT,1.5,,,1.25,,0.9\n")
    assert row["sum_open_interest_value"] is None and row["count_long_short_ratio"] is None
    assert row["sum_toptrader_long_short_ratio"] == Decimal("1.25")
    assert row["create_time"] == datetime(2024, 1, 5, 0, 5, tzinfo=UTC)


def test_datetime_text_must_be_the_archive_format() -> None:
    header = "timestamp,percentage,depth,notional\n"
    with pytest.raises(MalformedDataError, match="'timestamp'"):
        _decode(BOOK_DEPTH, header + "2024-01-05T00:00:04Z,-5.00,1.5,2.5\n")


def test_date_text_and_text_columns() -> None:
    columns = [
        "date", "hour", "symbol", "underlying", "type", "strike", "open", "high", "low",
        "close", "volume_contracts", "volume_usdt", "best_bid_price", "best_ask_price",
        "best_bid_qty", "best_ask_qty", "best_buy_iv", "best_sell_iv", "mark_price", "mark_iv",
        "delta", "gamma", "vega", "theta", "openinterest_contracts", "openinterest_usdt",
    ]  # fmt: skip
    values = ["2023-01-05", "7", "BTC-230106-16000-C", "BTCUSDT", "C", "16000"] + [""] * 20
    (row,) = _rows(EOH, ",".join(columns) + "\n" + ",".join(values) + "\n")
    assert row["date"] == date(2023, 1, 5)
    assert (row["hour"], row["option_symbol"], row["type"]) == (7, "BTC-230106-16000-C", "C")
    assert row["strike"] == Decimal(16000) and row["mark_iv"] is None


def test_empty_and_header_only_files_have_no_rows() -> None:
    assert _decode(UM_KLINES, "").num_rows == 0
    assert _decode(UM_KLINES, KLINE_HEADER).num_rows == 0
    assert _decode(UM_KLINES, KLINE_ROW + "\n\n").num_rows == 1


def test_chunk_boundaries_do_not_matter() -> None:
    rows = (
        f"{i},4200{i % 10}.5,0.00{i % 7 + 1},1.{i},{1704412800000 + i},{str(i % 2 == 1).lower()}\n"
        for i in range(500)
    )
    text = (TRADES_HEADER + "".join(rows)).encode()
    whole = pa.Table.from_batches(list(decode_csv([text], UM_TRADES)))
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
    split = pa.Table.from_batches(list(decode_csv(pieces, UM_TRADES, block_size=1000)))
    assert split.equals(whole) and whole.num_rows == 500


def test_one_shot_chunks_still_name_row_and_column() -> None:
    text = TRADES_HEADER + "1,42000.1,0.001,42.0001,1704412800000,true\n"
    text += "2,1.123456789,0.001,42.0001,1704412800001,false\n"
    with pytest.raises(MalformedDataError) as caught:
        list(decode_csv(iter([text.encode()]), UM_TRADES))
    assert "data row 2, column 'price'" in caught.value.message


def test_refused_value_is_quoted_from_a_zip(tmp_path: Path) -> None:
    rows = "".join(f"{i},1.5,0.001,0.0015,{1704412800000 + i},true\n" for i in range(40000))
    bad = "40000,1.5,0.0000000001,0.0015,1704412840000,true\n"
    data = csv_zip(UM_TRADES, TRADES_HEADER + rows + bad)
    with pytest.raises(MalformedDataError) as caught:
        decode_to_lake(data, UM_TRADES, tmp_path)
    message = caught.value.message
    assert "data row 40001, column 'qty' (value '0.0000000001')" in message
    assert list(tmp_path.rglob("*.parquet")) == [] and list(tmp_path.rglob("*.tmp")) == []
