"""The exchange-info client against the stand-in over real HTTP, and the first-file probe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, Market
from marketlake.errors import NotFoundError, SourceError, TransientSourceError
from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.source import ArchiveClient
from marketlake.source.exchange_info import (
    ExchangeInfo,
    exchange_info_url,
    fetch_exchange_info,
    parse_exchange_info,
)
from marketlake.source.probe import first_zip_after
from tests.source.conftest import fast_config, write_file

NOW = date(2024, 1, 10)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_mirror(GeneratedArchive(now=NOW, big=False)) as mirror:
        yield mirror.base_url


def _fetch(url: str, market: Market) -> ExchangeInfo:
    async def run() -> ExchangeInfo:
        async with ArchiveClient(fast_config(url)) as client:
            return await fetch_exchange_info(client, market, url)

    return asyncio.run(run())


def test_the_real_hosts_are_the_default() -> None:
    assert exchange_info_url(Market.SPOT) == "https://api.binance.com/api/v3/exchangeInfo"
    assert exchange_info_url(Market.CM) == "https://dapi.binance.com/dapi/v1/exchangeInfo"
    assert exchange_info_url(Market.UM, "http://h:1/") == "http://h:1/fapi/v1/exchangeInfo"


def test_spot_filters_become_exact_decimals(url: str) -> None:
    info = _fetch(url, Market.SPOT)
    assert info.server_time.date() == NOW
    btc = info.find("BTCUSDT")
    assert btc is not None
    assert (btc.status, btc.base_asset, btc.quote_asset) == ("TRADING", "BTC", "USDT")
    assert (btc.tick_size, btc.lot_size, btc.min_notional) == (
        Decimal("0.01"), Decimal("0.00001"), Decimal("5"),
    )  # fmt: skip
    assert (btc.contract_type, btc.onboard_date, btc.delivery_date) == (None, None, None)
    busd = info.find("BNBBUSD")
    assert busd is not None and busd.status == "BREAK"


def test_futures_contracts_carry_dates_and_perpetuals_no_delivery(url: str) -> None:
    um = _fetch(url, Market.UM)
    perpetual, quarter = um.find("BTCUSDT"), um.find("BTCUSDT_240329")
    assert perpetual is not None and quarter is not None
    assert (perpetual.contract_type, perpetual.delivery_date) == ("PERPETUAL", None)
    assert perpetual.onboard_date == datetime(2019, 12, 31, tzinfo=UTC)
    assert (perpetual.min_notional, perpetual.margin_asset) == (Decimal("100"), "USDT")
    assert quarter.delivery_date == datetime(2024, 3, 29, 8, tzinfo=UTC)
    cm = _fetch(url, Market.CM)
    contract = cm.find("BTCUSD_PERP")
    assert contract is not None
    assert (contract.status, contract.contract_size, contract.margin_asset) == (
        "TRADING",
        100,
        "BTC",
    )
    assert contract.min_notional is None
    index = cm.by_pair("BTCUSD")
    assert index is not None and index.symbol == "BTCUSD_PERP"  # the perpetual, not the quarter


def test_options_give_one_entry_per_underlying(url: str) -> None:
    info = _fetch(url, Market.OPTION)
    assert [s.symbol for s in info.symbols] == [
        "BNBUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT", "XRPUSDT",
    ]  # fmt: skip
    btc = info.find("BTCUSDT")
    assert btc is not None
    assert (btc.status, btc.base_asset, btc.quote_asset, btc.margin_asset) == (
        "TRADING", "BTC", "USDT", "USDT",
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b'{"serverTime": 1}', b'{"symbols": [], "serverTime": "x"}'],
)
def test_a_document_that_is_not_exchange_info_is_a_source_error(body: bytes) -> None:
    with pytest.raises(SourceError, match="not what Binance sends"):
        parse_exchange_info(Market.UM, body, url="http://h/fapi/v1/exchangeInfo")


def test_a_missing_endpoint_or_a_dead_host_is_a_source_error(url: str) -> None:
    async def fetch(base: str) -> None:
        async with ArchiveClient(fast_config(url, max_retries=1)) as client:
            await fetch_exchange_info(client, Market.UM, base)

    with pytest.raises(NotFoundError, match="HTTP 404"):
        asyncio.run(fetch(f"{url}/elsewhere"))
    with pytest.raises(TransientSourceError, match="after 2 attempts"):
        asyncio.run(fetch("http://127.0.0.1:1"))


def test_the_probe_finds_a_folders_first_file_and_the_next_one(tmp_path: Path) -> None:
    folder = "data/spot/daily/klines/BTCUSDT/1d/"
    for day in ("2021-01-03", "2021-01-05", "2021-01-09"):
        write_file(tmp_path, f"{folder}BTCUSDT-1d-{day}.zip", b"zip")

    async def probe(after: str | None) -> ArchiveKey | None:
        async with ArchiveClient(fast_config(base)) as client:
            return await first_zip_after(client, folder, after)

    with run_mirror(OverlayContent(tmp_path)) as mirror:
        base = mirror.base_url
        first = asyncio.run(probe(None))
        after = asyncio.run(probe(f"{folder}BTCUSDT-1d-2021-01-05.zip.CHECKSUM"))
        none = asyncio.run(probe(f"{folder}BTCUSDT-1d-2021-01-09.zip.CHECKSUM"))
    assert first is not None and first.date == "2021-01-03"
    assert after is not None and after.date == "2021-01-09"
    assert none is None


def test_the_rest_base_is_rest_else_the_source_else_binance() -> None:
    from marketlake.settings import Settings

    assert Settings(rest="http://rest:1/", source="http://src:2").rest_url == "http://rest:1"
    assert Settings(source="http://src:2/").rest_url == "http://src:2"
    assert Settings().rest_url is None
    assert "rest='http://rest:1'" in repr(Settings(rest="http://rest:1"))
