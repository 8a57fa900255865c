"""The planner's pure rules: monthly vs daily, manifest diff, re-uploads, superseding."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marketlake.catalog import ArchiveKey, Market, Period
from marketlake.ingest.plan import (
    PlannedPartition,
    PlanReason,
    choose_partitions,
    listing_dates,
    monthly_listing_dates,
)
from marketlake.ingest.request import IngestRequest, build_request
from marketlake.manifest.models import PartitionRecord, PartitionStatus
from marketlake.source import RemoteFile, RemotePartition

SOURCE = "http://mirror"
MTIME = datetime(2024, 3, 1, tzinfo=UTC)


def _remote(period: Period, day: str, etag: str = "e1", size: int = 100) -> RemotePartition:
    key = ArchiveKey(Market.UM, period, "klines", "BTCUSDT", "1m", day)
    return RemotePartition(key, RemoteFile(key.zip_key, size, etag, MTIME), None)


def _done(remote: RemotePartition, *, files: tuple[str, ...] = ("f.parquet",)) -> PartitionRecord:
    return PartitionRecord(
        source=SOURCE,
        key=remote.key,
        status=PartitionStatus.DONE,
        etag=remote.zip.etag,
        size=remote.zip.size,
        files=files,
    )


def _request(
    start: date | None = None, end: date | None = None, *, update: bool = False
) -> IngestRequest:
    return build_request(
        market="um", dataset="klines", interval="1m", symbols="BTCUSDT",
        start=start, end=end, update_existing=update,
    )  # fmt: skip


FEB = _remote(Period.MONTHLY, "2024-02")
JAN_DAYS = [_remote(Period.DAILY, f"2024-01-{d:02d}") for d in range(1, 32)]
FEB_DAYS = [_remote(Period.DAILY, f"2024-02-{d:02d}") for d in range(1, 30)]
MAR_DAYS = [_remote(Period.DAILY, f"2024-03-{d:02d}") for d in range(1, 4)]


def _keys(planned: list[PlannedPartition]) -> list[str]:
    return [p.key.date for p in planned]


def test_whole_months_come_from_the_monthly_file_and_the_rest_from_daily_files() -> None:
    planned, skipped = choose_partitions([FEB], FEB_DAYS + MAR_DAYS, {}, _request())
    assert _keys(planned) == ["2024-02", "2024-03-01", "2024-03-02", "2024-03-03"]
    assert skipped == 0
    assert {p.reason for p in planned} == {PlanReason.NEW}


def test_a_partial_month_at_the_edge_of_the_range_uses_daily_files() -> None:
    request = _request(date(2024, 2, 27), date(2024, 3, 2))
    planned, _ = choose_partitions([FEB], FEB_DAYS + MAR_DAYS, {}, request)
    assert _keys(planned) == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"]


def test_a_partial_month_without_daily_files_falls_back_to_the_monthly_file() -> None:
    planned, _ = choose_partitions([FEB], [], {}, _request(date(2024, 2, 10), date(2024, 2, 12)))
    assert _keys(planned) == ["2024-02"]


def test_done_partitions_are_skipped_and_failed_ones_retried() -> None:
    failed = PartitionRecord(SOURCE, MAR_DAYS[1].key, PartitionStatus.FAILED, error="checksum")
    records = {MAR_DAYS[0].key: _done(MAR_DAYS[0]), MAR_DAYS[1].key: failed}
    planned, skipped = choose_partitions([], MAR_DAYS, records, _request())
    assert [(p.key.date, p.reason) for p in planned] == [
        ("2024-03-02", PlanReason.RETRY),
        ("2024-03-03", PlanReason.NEW),
    ]
    assert skipped == 1


def test_a_reupload_with_a_new_etag_or_size_is_fetched_again() -> None:
    records = {MAR_DAYS[0].key: _done(MAR_DAYS[0]), MAR_DAYS[1].key: _done(MAR_DAYS[1])}
    reuploaded = [
        MAR_DAYS[0],
        _remote(Period.DAILY, "2024-03-02", etag="e2"),
        _remote(Period.DAILY, "2024-03-03", size=5),
    ]
    planned, skipped = choose_partitions([], reuploaded, records, _request())
    assert [(p.key.date, p.reason) for p in planned] == [
        ("2024-03-02", PlanReason.REUPLOADED),
        ("2024-03-03", PlanReason.NEW),
    ]
    assert skipped == 1


def test_update_existing_fetches_done_partitions_again() -> None:
    records = {MAR_DAYS[0].key: _done(MAR_DAYS[0])}
    planned, skipped = choose_partitions([], MAR_DAYS[:1], records, _request(update=True))
    assert [(p.key.date, p.reason) for p in planned] == [("2024-03-01", PlanReason.UPDATE)]
    assert skipped == 0


def test_a_monthly_file_supersedes_the_done_daily_partitions_of_its_month() -> None:
    records = {d.key: _done(d, files=(f"{d.key.date}.parquet",)) for d in FEB_DAYS[:3]}
    planned, _ = choose_partitions([FEB], FEB_DAYS[:3], records, _request())
    assert _keys(planned) == ["2024-02"]
    assert sorted(r.key.date for r in planned[0].supersedes) == [
        "2024-02-01",
        "2024-02-02",
        "2024-02-03",
    ]


def test_daily_files_of_a_month_done_from_its_monthly_file_are_covered() -> None:
    records = {FEB.key: _done(FEB)}
    request = _request(date(2024, 2, 27), date(2024, 3, 1))
    planned, skipped = choose_partitions([FEB], FEB_DAYS + MAR_DAYS, records, request)
    assert _keys(planned) == ["2024-03-01"]
    assert skipped == 3


def test_a_short_range_lists_only_its_months() -> None:
    request = _request(date(2023, 11, 20), date(2024, 1, 3))
    assert listing_dates(request) == ("2023-11", "2023-12", "2024-01")


def test_long_or_open_ranges_list_whole_folders() -> None:
    assert listing_dates(_request(date(2023, 11, 20), date(2024, 2, 3))) is None
    assert listing_dates(_request(date(2019, 1, 1), None)) is None


def test_monthly_files_are_listed_only_for_whole_months_or_months_without_dailies() -> None:
    request = _request(date(2024, 1, 1), date(2024, 3, 2))
    assert monthly_listing_dates(request, FEB_DAYS + MAR_DAYS) == ("2024-01", "2024-02")
    assert monthly_listing_dates(request, MAR_DAYS) == ("2024-01", "2024-02")
    partial = _request(date(2024, 1, 5), date(2024, 3, 2))
    assert monthly_listing_dates(partial, FEB_DAYS + MAR_DAYS) == ("2024-01", "2024-02")
    assert monthly_listing_dates(partial, JAN_DAYS + FEB_DAYS + MAR_DAYS) == ("2024-02",)
    assert monthly_listing_dates(_request(date(2024, 3, 1), date(2024, 3, 2)), MAR_DAYS) == ()
