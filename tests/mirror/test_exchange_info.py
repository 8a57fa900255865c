"""The stand-in's exchange-info endpoints over real HTTP: Binance's shapes, life cycles, faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from marketlake.mirror import OverlayContent, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from tests.mirror.server_support import SAMPLES, http

PERPETUAL_DELIVERY_MS = 4133404800000


def _ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def url_2024() -> Iterator[str]:
    """The stand-in as of 2024-01-10."""
    with run_mirror(GeneratedArchive(now=date(2024, 1, 10), big=False)) as mirror:
        yield mirror.base_url


def _get(url: str) -> dict[str, Any]:
    response = http().get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def _symbols(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["symbol"]: entry for entry in document["symbols"]}


def _filters(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["filterType"]: f for f in entry["filters"]}


def test_spot_lists_trading_and_delisted_pairs_with_binance_filters(url_2024: str) -> None:
    document = _get(f"{url_2024}/api/v3/exchangeInfo")
    assert document["timezone"] == "UTC"
    assert datetime.fromtimestamp(document["serverTime"] / 1000, UTC).date() == date(2024, 1, 10)
    symbols = _symbols(document)
    btc = symbols["BTCUSDT"]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"]) == ("TRADING", "BTC", "USDT")
    filters = _filters(btc)
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert _filters(symbols["ETHBTC"])["NOTIONAL"]["minNotional"] == "0.00010000"
    assert _filters(symbols["PEPEUSDT"])["PRICE_FILTER"]["tickSize"] == "0.00000001"
    assert symbols["BNBBUSD"]["status"] == "BREAK"  # delisted 2023-12-15: kept, not trading
    assert symbols["LUNAUSDT"]["status"] == "BREAK"
    assert "币安人生USDT" not in symbols  # listed in 2025
    assert "onboardDate" not in btc and "contractType" not in btc


def test_spot_answers_one_symbol_or_an_invalid_symbol_error(url_2024: str) -> None:
    one = _get(f"{url_2024}/api/v3/exchangeInfo?symbol=ETHBTC")
    assert [s["symbol"] for s in one["symbols"]] == ["ETHBTC"]
    two = _get(f'{url_2024}/api/v3/exchangeInfo?symbols=["BTCUSDT","ETHBTC"]')
    assert sorted(s["symbol"] for s in two["symbols"]) == ["BTCUSDT", "ETHBTC"]
    bad = http().get(f"{url_2024}/api/v3/exchangeInfo?symbol=NOPE")
    assert bad.status_code == 400
    assert bad.json() == {"code": -1121, "msg": "Invalid symbol."}


def test_usdm_has_contracts_with_onboard_and_delivery_dates(url_2024: str) -> None:
    document = _get(f"{url_2024}/fapi/v1/exchangeInfo")
    symbols = _symbols(document)
    assert sorted(symbols) == ["1000BONKUSDT", "BNBUSDT", "BTCUSDT", "BTCUSDT_240329", "ETHUSDT"]
    btc = symbols["BTCUSDT"]
    assert (btc["contractType"], btc["status"], btc["marginAsset"]) == (
        "PERPETUAL",
        "TRADING",
        "USDT",
    )
    assert (btc["deliveryDate"], btc["onboardDate"]) == (PERPETUAL_DELIVERY_MS, _ms(2019, 12, 31))
    filters = _filters(btc)
    assert (filters["PRICE_FILTER"]["tickSize"], filters["LOT_SIZE"]["stepSize"]) == (
        "0.10",
        "0.001",
    )
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    quarter = symbols["BTCUSDT_240329"]
    assert (quarter["pair"], quarter["contractType"]) == ("BTCUSDT", "CURRENT_QUARTER")
    assert quarter["deliveryDate"] == _ms(2024, 3, 29, 8)
    assert _filters(symbols["1000BONKUSDT"])["PRICE_FILTER"]["tickSize"] == "0.0000001"
    assert symbols["1000BONKUSDT"]["baseAsset"] == "1000BONK"
    assert [a["asset"] for a in document["assets"]] == ["USDT"]


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (date(2025, 1, 1), None),  # long before listing: absent
        (date(2025, 4, 25), "PENDING_TRADING"),  # a week before listing
        (date(2025, 5, 10), "TRADING"),
        (date(2025, 7, 1), "SETTLING"),  # delisted perpetual: kept, settling
    ],
)
def test_a_perpetuals_life_cycle_shows_in_its_status(now: date, status: str | None) -> None:
    with run_mirror(GeneratedArchive(now=now, big=False)) as mirror:
        symbols = _symbols(_get(f"{mirror.base_url}/fapi/v1/exchangeInfo"))
    found = symbols.get("CTKUSDTSETTLED")
    assert (found["status"] if found else None) == status


def test_delivered_contracts_leave_the_exchange_info() -> None:
    with run_mirror(GeneratedArchive(now=date(2024, 4, 1), big=False)) as mirror:
        um = _symbols(_get(f"{mirror.base_url}/fapi/v1/exchangeInfo"))
        cm = _symbols(_get(f"{mirror.base_url}/dapi/v1/exchangeInfo"))
    assert "BTCUSDT_240329" not in um and "BTCUSD_240329" not in cm
    assert "BTCUSDT" in um and "BTCUSD_PERP" in cm


def test_coinm_uses_contract_status_and_size_and_pairs_for_index_folders(url_2024: str) -> None:
    symbols = _symbols(_get(f"{url_2024}/dapi/v1/exchangeInfo"))
    assert sorted(symbols) == ["BTCUSD_240329", "BTCUSD_PERP", "ETHUSD_PERP"]  # BTCUSD: a pair
    perp = symbols["BTCUSD_PERP"]
    assert "status" not in perp
    assert (perp["contractStatus"], perp["contractSize"], perp["pair"]) == (
        "TRADING",
        100,
        "BTCUSD",
    )
    assert (perp["baseAsset"], perp["quoteAsset"], perp["marginAsset"]) == ("BTC", "USD", "BTC")
    assert "MIN_NOTIONAL" not in _filters(perp)


def test_options_list_underlyings_and_contracts_expiring_next_friday(url_2024: str) -> None:
    document = _get(f"{url_2024}/eapi/v1/exchangeInfo")
    underlyings = [c["underlying"] for c in document["optionContracts"]]
    assert underlyings == ["BNBUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT", "XRPUSDT"]
    assert document["optionAssets"] == [{"id": 1, "name": "USDT"}]
    options = document["optionSymbols"]
    assert len(options) == 10
    assert {o["expiryDate"] for o in options} == {_ms(2024, 1, 12, 8)}  # 2024-01-10 is a Wednesday
    btc = [o for o in options if o["underlying"] == "BTCUSDT"]
    assert [o["side"] for o in btc] == ["CALL", "PUT"]
    assert btc[0]["symbol"] == f"BTC-240112-{btc[0]['strikePrice']}-C"


def test_exchange_info_survives_an_overlay_and_is_absent_without_generated_content(
    tmp_path: Path,
) -> None:
    with run_mirror(now=date(2024, 1, 10), big=False, overlay=SAMPLES) as mirror:
        layered = _symbols(_get(f"{mirror.base_url}/fapi/v1/exchangeInfo"))
    assert "BTCUSDT" in layered
    with run_mirror(OverlayContent(tmp_path)) as mirror:
        response = http().get(f"{mirror.base_url}/fapi/v1/exchangeInfo")
    assert response.status_code == 404


def test_listing_faults_hit_the_rest_endpoints_too() -> None:
    archive = GeneratedArchive(now=date(2024, 1, 10), big=False)
    with run_mirror(archive, faults="5xx=1,listing=1") as mirror:
        failed = http().get(f"{mirror.base_url}/api/v3/exchangeInfo")
    assert failed.status_code in (500, 502, 503)
    with run_mirror(archive, faults="5xx=1") as mirror:
        served = http().get(f"{mirror.base_url}/api/v3/exchangeInfo")
    assert served.status_code == 200
