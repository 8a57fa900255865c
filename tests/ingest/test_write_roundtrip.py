"""Property: any rows the archive could hold survive CSV -> zip -> decode_to_lake -> Parquet."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlake.catalog import ArchiveKey
from marketlake.ingest.write import decode_to_lake
from tests.ingest.decode_support import csv_zip

SPOT_AGG = ArchiveKey.parse("data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-03-01.zip")
HEADER = (
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,"
    "is_buyer_maker,is_best_match\n"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_MS, LAST_MS = 1_500_000_000_000, 4_000_000_000_000


def _decimal(integer_digits: int, scale: int) -> st.SearchStrategy[Decimal]:
    """Decimals with at most ``integer_digits`` before and ``scale`` digits after the point."""

    def with_places(places: int) -> st.SearchStrategy[Decimal]:
        limit = 10 ** (integer_digits + places) - 1
        units = st.integers(min_value=-limit, max_value=limit)
        return units.map(lambda u: Decimal(f"{u}E-{places}"))

    return st.integers(min_value=0, max_value=scale).flatmap(with_places)


rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2**62),
        _decimal(10, 8),
        _decimal(30, 8),
        st.integers(min_value=0, max_value=2**62),
        st.integers(min_value=FIRST_MS, max_value=LAST_MS),
        st.booleans(),
        st.booleans(),
    ),
    max_size=40,
)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, micros=st.booleans(), header=st.booleans())
def test_random_rows_round_trip_exactly(
    rows: list[tuple[int, Decimal, Decimal, int, int, bool, bool]], micros: bool, header: bool
) -> None:
    lines = []
    for agg_id, price, qty, first_id, ms, maker, best in rows:
        epoch = ms * 1000 + agg_id % 1000 if micros else ms
        fields = [agg_id, price, qty, first_id, first_id + 1, epoch, maker, best]
        lines.append(",".join(_cell(v) for v in fields))
    text = (HEADER if header else "") + "".join(line + "\n" for line in lines)
    with tempfile.TemporaryDirectory() as lake:
        written = decode_to_lake(csv_zip(SPOT_AGG, text), SPOT_AGG, Path(lake))
        table = pq.read_table(Path(lake) / written.files[0])
    expected = sorted(
        (
            (agg_id, price, qty, first_id, first_id + 1,
             EPOCH + timedelta(microseconds=ms * 1000 + (agg_id % 1000 if micros else 0)),
             maker, best)
            for agg_id, price, qty, first_id, ms, maker, best in rows
        ),
        key=lambda row: row[0],
    )  # fmt: skip
    actual = list(zip(*(table.column(i).to_pylist() for i in range(8)), strict=True))
    assert actual == expected
    assert written.rows == written.rows_in_file == len(rows)
    assert written.reordered == ([r[0] for r in rows] != sorted(r[0] for r in rows))
