"""The generated folder tree: sorted children, consistent with stat, covering the catalog."""

from __future__ import annotations

from datetime import date

import pytest

from marketlake.catalog import DATASETS, ArchiveKey, Market, Period
from marketlake.mirror.generate import GeneratedArchive
from marketlake.mirror.universe import DEFAULT_UNIVERSE
from tests.mirror.generated_csv import small_archive


@pytest.fixture(scope="module")
def archive() -> GeneratedArchive:
    return small_archive()


def _symbol_folders(archive: GeneratedArchive) -> list[str]:
    tops = archive.children("data/")
    markets = [
        m for top in tops for m in (archive.children(top) if top.endswith("futures/") else [top])
    ]
    folders: list[str] = []
    for period in (p for m in markets for p in archive.children(m)):
        for dataset in archive.children(period):
            folders.extend(archive.children(dataset))
    return folders


def test_root_and_market_folders(archive: GeneratedArchive) -> None:
    assert archive.children("") == ["data/", "updates/"]
    assert archive.children("data/") == ["data/futures/", "data/option/", "data/spot/"]
    assert archive.children("data/futures/") == ["data/futures/cm/", "data/futures/um/"]
    assert archive.children("data/option/") == ["data/option/daily/"]
    assert archive.children("data/nowhere/") == []
    assert archive.children("data/spot/daily/klines/NOPE/") == []


def test_every_market_dataset_period_and_interval_of_the_catalog_is_served(
    archive: GeneratedArchive,
) -> None:
    for name, spec in DATASETS.items():
        for market in spec.markets:
            for period in spec.periods_for(market):
                folder = f"data/{market.path}/{period.value}/{name}/"
                assert folder in archive.children(f"data/{market.path}/{period.value}/")
                symbols = archive.children(folder)
                assert symbols, folder
                if spec.has_interval:
                    served = {
                        f.rstrip("/").rsplit("/", 1)[1]
                        for s in symbols
                        for f in archive.children(s)
                    }
                    assert served == set(spec.intervals_for(market, period)), folder


def test_children_are_sorted_and_files_stat(archive: GeneratedArchive) -> None:
    for folder in _symbol_folders(archive)[::7]:
        children = archive.children(folder)
        assert children == sorted(children)
        leaf = children if not children[0].endswith("/") else archive.children(children[0])
        assert leaf == sorted(leaf)
        zips = [k for k in leaf if k.endswith(".zip")]
        assert [k for k in leaf if not k.endswith(".zip")] == [z + ".CHECKSUM" for z in zips]
        for key in (zips[0], zips[-1]):
            info = archive.stat(key)
            assert info is not None and info.key == key


def test_non_ascii_numeric_and_settled_symbols(archive: GeneratedArchive) -> None:
    spot = archive.children("data/spot/daily/klines/")
    um = archive.children("data/futures/um/daily/klines/")
    for name in ("币安人生USDT", "龙虾USDT"):
        assert f"data/spot/daily/klines/{name}/" in spot
        assert f"data/futures/um/daily/klines/{name}/" in um
    for name in ("1000BONKUSDT", "0GUSDT", "BTCUSDT_240329", "CTKUSDTSETTLED"):
        assert f"data/futures/um/daily/klines/{name}/" in um
    assert archive.children("data/futures/cm/daily/indexPriceKlines/") == [
        "data/futures/cm/daily/indexPriceKlines/BTCUSD/",
        "data/futures/cm/daily/indexPriceKlines/ETHUSD/",
    ]
    assert "data/futures/cm/daily/klines/BTCUSD_PERP/" in archive.children(
        "data/futures/cm/daily/klines/"
    )
    assert archive.children("data/option/daily/BVOLIndex/") == [
        "data/option/daily/BVOLIndex/BTCBVOLUSDT/",
        "data/option/daily/BVOLIndex/ETHBVOLUSDT/",
    ]
    eoh = [f.split("/")[-2] for f in archive.children("data/option/daily/EOHSummary/")]
    assert eoh == ["BNBUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT", "XRPUSDT"]


def test_a_folder_of_more_than_a_thousand_keys_lists_every_day(archive: GeneratedArchive) -> None:
    keys = archive.children("data/spot/daily/klines/BTCUSDT/1d/")
    zips = [k for k in keys if k.endswith(".zip")]
    assert len(keys) > 6000
    assert zips[0].endswith("BTCUSDT-1d-2017-07-14.zip")
    assert zips[-1].endswith("BTCUSDT-1d-2026-11-20.zip")
    assert len(zips) == (date(2026, 11, 20) - date(2017, 7, 14)).days + 1


def test_monthly_intervals_add_3d_1w_1mo(archive: GeneratedArchive) -> None:
    daily = archive.children("data/futures/um/daily/klines/BTCUSDT/")
    monthly = archive.children("data/futures/um/monthly/klines/BTCUSDT/")
    names = {f.split("/")[-2] for f in monthly} - {f.split("/")[-2] for f in daily}
    assert names == {"3d", "1w", "1mo"}
    assert "data/futures/um/daily/klines/BTCUSDT/1s/" not in daily
    assert "data/spot/daily/klines/BTCUSDT/1s/" in archive.children(
        "data/spot/daily/klines/BTCUSDT/"
    )


def test_symbol_windows_match_the_universe(archive: GeneratedArchive) -> None:
    for market in (Market.SPOT, Market.UM, Market.CM):
        for instrument in archive.universe.symbols(market, "klines"):
            folder = f"data/{market.path}/daily/klines/{instrument.symbol}/1d/"
            zips = [k for k in archive.children(folder) if k.endswith(".zip")]
            first, last = ArchiveKey.parse(zips[0]), ArchiveKey.parse(zips[-1])
            start, end = instrument.window("klines")
            assert first.first_day == start
            if end is not None:
                assert last.first_day == end


def test_delisted_symbols_keep_their_files_and_stop(archive: GeneratedArchive) -> None:
    delisted = {i.symbol for i in DEFAULT_UNIVERSE.delisted()}
    assert {"LUNAUSDT", "BNBBUSD", "CTKUSDTSETTLED", "BTCUSDT_240329", "BTCUSD_240329"} <= delisted
    for key in archive.traps.delisted_last:
        assert archive.stat(key) is not None
        parsed = ArchiveKey.parse(key)
        day_after = parsed.zip_key.replace(
            parsed.date, date.fromordinal(parsed.first_day.toordinal() + 1).isoformat()
        )
        assert archive.stat(day_after) is None
    months = archive.children("data/spot/monthly/klines/LUNAUSDT/1d/")
    assert months[-2].endswith("LUNAUSDT-1d-2022-05.zip")


def test_discontinued_datasets_stop_at_their_last_date(archive: GeneratedArchive) -> None:
    for name, spec in DATASETS.items():
        for market, last in spec.last_dates.items():
            for folder in archive.children(f"data/{market.path}/{Period.DAILY.value}/{name}/"):
                leaf = archive.children(folder)
                if leaf and leaf[0].endswith("/"):
                    leaf = archive.children(leaf[0])
                assert ArchiveKey.parse(leaf[-1]).first_day <= last
    for key in archive.traps.discontinued_last:
        assert archive.stat(key) is not None
