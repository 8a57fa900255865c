"""``lake.symbols(market)``: exchange info + archive listing + manifest, online and offline."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from marketlake import Lake
from marketlake.catalog import ArchiveKey
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.settings import Settings

NOW = date(2025, 7, 1)
DEAD = "http://127.0.0.1:1"
UM_DATASETS = {
    "klines", "indexPriceKlines", "markPriceKlines", "premiumIndexKlines", "trades",
    "aggTrades", "bookTicker", "bookDepth", "metrics", "fundingRate", "liquidationSnapshot",
}  # fmt: skip


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return GeneratedArchive(now=NOW, big=False)


@pytest.fixture(scope="module")
def url(archive: GeneratedArchive) -> Iterator[str]:
    with run_mirror(archive) as mirror:
        yield mirror.base_url


@pytest.fixture(scope="module")
def lake_root(url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("symbols-lake")
    request = build_request(
        market="um", dataset="klines", interval="1d", symbols="BTCUSDT,CTKUSDTSETTLED",
        start=date(2025, 6, 1), end=date(2025, 6, 20),
    )  # fmt: skip
    report = ingest(Settings(lake=root, source=url, workers=1), request)
    assert report.failed == 0 and report.done > 0
    return root


def _rows(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["symbol"]: row for row in frame.iter_rows(named=True)}


def _last_archive_day(archive: GeneratedArchive, folder: str) -> date:
    zips = [key for key in archive.children(folder) if key.endswith(".zip")]
    return ArchiveKey.parse(zips[-1]).first_day


def _symbols(
    root: Path, market: str, now: date | None = None, **settings: Any
) -> dict[str, dict[str, Any]]:
    with Lake.from_settings(Settings(lake=root, **settings)) as lake:
        return _rows(lake.symbols(market, now=now))


def test_usdm_rows_merge_the_exchange_the_archive_and_the_lake(
    lake_root: Path, url: str, archive: GeneratedArchive
) -> None:
    rows = _symbols(lake_root, "um", source=url)
    assert sorted(rows) == [
        "1000BONKUSDT",
        "BNBUSDT",
        "BTCUSDT",
        "BTCUSDT_240329",
        "CTKUSDTSETTLED",
        "ETHUSDT",
    ]  # fmt: skip; 0GUSDT and the non-ASCII symbols list later in 2025
    btc = rows["BTCUSDT"]
    assert {k: btc[k] for k in ("status", "delisted", "base_asset", "quote_asset", "pair")} == {
        "status": "TRADING", "delisted": False, "base_asset": "BTC", "quote_asset": "USDT",
        "pair": "BTCUSDT",
    }  # fmt: skip
    assert (btc["contract_type"], btc["margin_asset"], btc["info_source"]) == (
        "PERPETUAL", "USDT", "exchange_info",
    )  # fmt: skip
    assert (btc["tick_size"], btc["lot_size"], btc["min_notional"]) == (
        Decimal("0.1"), Decimal("0.001"), Decimal("100"),
    )  # fmt: skip
    assert btc["onboard_date"] == datetime(2019, 12, 31, tzinfo=UTC)
    assert btc["delivery_date"] is None
    last = _last_archive_day(archive, "data/futures/um/daily/klines/BTCUSDT/1d/")
    assert (btc["archive_first"], btc["archive_last"]) == (date(2019, 12, 31), last)
    assert (btc["lake_first"], btc["lake_last"]) == (date(2025, 6, 1), date(2025, 6, 20))
    assert btc["lake_datasets"] == ["klines"]
    assert set(btc["archive_datasets"]) == UM_DATASETS


def test_delisted_symbols_are_rows_too(lake_root: Path, url: str) -> None:
    rows = _symbols(lake_root, "um", source=url)
    settled = rows["CTKUSDTSETTLED"]
    assert (settled["status"], settled["delisted"]) == ("SETTLING", True)
    assert (settled["archive_first"], settled["archive_last"]) == (
        date(2025, 4, 30), date(2025, 6, 20),
    )  # fmt: skip
    assert (settled["lake_first"], settled["lake_last"]) == (date(2025, 6, 1), date(2025, 6, 20))
    delivered = rows["BTCUSDT_240329"]  # gone from the exchange: described by its name
    assert (delivered["status"], delivered["delisted"], delivered["info_source"]) == (
        None, True, "symbol_name",
    )  # fmt: skip
    assert delivered["delivery_date"] == datetime(2024, 3, 29, 8, tzinfo=UTC)
    assert (delivered["pair"], delivered["base_asset"], delivered["margin_asset"]) == (
        "BTCUSDT", "BTC", "USDT",
    )  # fmt: skip
    assert (delivered["archive_first"], delivered["archive_last"]) == (
        date(2023, 9, 29), date(2024, 3, 29),
    )  # fmt: skip
    assert delivered["lake_first"] is None and delivered["lake_datasets"] == []


def test_other_markets_spot_breaks_coinm_index_pairs_option_indexes(
    lake_root: Path, url: str
) -> None:
    spot = _symbols(lake_root, "spot", source=url)
    assert (spot["BNBBUSD"]["status"], spot["BNBBUSD"]["delisted"]) == ("BREAK", True)
    assert spot["BNBBUSD"]["archive_last"] == date(2023, 12, 15)
    assert spot["PEPEUSDT"]["tick_size"] == Decimal("0.00000001")
    assert "币安人生USDT" not in spot  # listed 2025-10-08
    cm = _symbols(lake_root, "cm", source=url)
    index = cm["BTCUSD"]  # an indexPriceKlines folder: the pair of BTCUSD_PERP
    assert (index["base_asset"], index["quote_asset"], index["margin_asset"]) == (
        "BTC",
        "USD",
        "BTC",
    )
    assert (index["status"], index["delisted"], index["archive_datasets"]) == (
        None, False, ["indexPriceKlines"],
    )  # fmt: skip
    assert cm["BTCUSD_PERP"]["contract_size"] == 100
    option = _symbols(lake_root, "option", source=url)
    assert (option["BTCBVOLUSDT"]["info_source"], option["BTCBVOLUSDT"]["delisted"]) == (
        "symbol_name", False,
    )  # fmt: skip
    underlying = option["BTCUSDT"]
    assert (underlying["status"], underlying["archive_last"]) == ("TRADING", date(2023, 10, 23))


def test_without_the_exchange_the_archive_says_who_is_delisted(lake_root: Path, url: str) -> None:
    rows = _symbols(lake_root, "um", NOW, source=url, rest=DEAD)  # no server time: give now
    assert {s: r["info_source"] for s, r in rows.items()} == dict.fromkeys(rows, "symbol_name")
    assert {s: r["delisted"] for s, r in rows.items()} == {
        "1000BONKUSDT": False, "BNBUSDT": False, "BTCUSDT": False, "BTCUSDT_240329": True,
        "CTKUSDTSETTLED": True, "ETHUSDT": False,
    }  # fmt: skip
    btc = rows["BTCUSDT"]
    assert (btc["contract_type"], btc["pair"], btc["tick_size"], btc["status"]) == (
        "PERPETUAL", "BTCUSDT", None, None,
    )  # fmt: skip


def test_offline_the_lake_alone_answers(lake_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="marketlake.lake.symbols"):
        unreachable = _symbols(lake_root, "um", source=DEAD)
    assert "unreachable" in caplog.text
    with Lake(lake_root) as lake:
        offline = _rows(lake.symbols("um", online=False, now="2025-07-01"))
    for rows in (unreachable, offline):
        assert sorted(rows) == ["BTCUSDT", "CTKUSDTSETTLED"]
        settled = rows["CTKUSDTSETTLED"]
        assert (settled["base_asset"], settled["quote_asset"], settled["pair"]) == (
            "CTK", "USDT", "CTKUSDT",
        )  # fmt: skip
        assert (settled["archive_first"], settled["delisted"]) == (None, None)
        assert (settled["lake_first"], settled["lake_last"]) == (
            date(2025, 6, 1), date(2025, 6, 20),
        )  # fmt: skip


def test_a_market_name_that_is_not_one_is_refused(lake_root: Path) -> None:
    from marketlake.errors import ReadRequestError

    with Lake(lake_root) as lake, pytest.raises(ReadRequestError, match="unknown market"):
        lake.symbols("mars", online=False)
