"""Property tests: every record survives the trip to a database row and back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.manifest import PartitionRecord, PartitionStatus
from marketlake.manifest.rows import from_micros, record_from_row, record_params, to_micros

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
BIGINT = st.integers(-(2**63), 2**63 - 1)
MOMENT = st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))
SYMBOL = st.text(st.sampled_from("ABCXYZ019_币安人生龙虾"), min_size=1, max_size=12)

KEYS = st.one_of(
    st.builds(
        ArchiveKey,
        market=st.sampled_from([Market.SPOT, Market.UM, Market.CM]),
        period=st.just(Period.DAILY),
        dataset=st.just("klines"),
        symbol=SYMBOL,
        interval=st.sampled_from(["1m", "1h", "1d"]),
        date=st.dates().map(lambda day: day.isoformat()).filter(lambda text: len(text) == 10),
    ),
    st.builds(
        ArchiveKey,
        market=st.just(Market.UM),
        period=st.just(Period.MONTHLY),
        dataset=st.just("fundingRate"),
        symbol=SYMBOL,
        interval=st.none(),
        date=st.dates().map(lambda day: day.isoformat()[:7]).filter(lambda text: len(text) == 7),
    ),
)

RECORDS = st.builds(
    PartitionRecord,
    source=TEXT,
    key=KEYS,
    status=st.sampled_from(PartitionStatus),
    rows=st.none() | BIGINT,
    rows_in_file=st.none() | BIGINT,
    min_time=st.none() | MOMENT,
    max_time=st.none() | MOMENT,
    files=st.lists(TEXT, max_size=4).map(tuple),
    sha256=st.none() | TEXT,
    etag=st.none() | TEXT,
    size=st.none() | BIGINT,
    source_last_modified=st.none() | MOMENT,
    schema_version=st.integers(1, 2**31 - 1),
    attempts=st.integers(0, 100),
    error=st.none() | TEXT,
    superseded_by=st.none() | TEXT,
    updated_at=MOMENT,
)


@given(RECORDS)
def test_a_record_survives_its_row(record: PartitionRecord) -> None:
    assert record_from_row(record_params(record)) == replace(record, attempts=1)


@given(MOMENT)
def test_times_keep_every_microsecond(moment: datetime) -> None:
    micros = to_micros(moment)

    assert micros is not None and from_micros(micros) == moment
