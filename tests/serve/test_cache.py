"""``marketlake serve --cache-mb``: a server with its decoded-file cache off answers exactly as
one with it on (cold and warm), and the cache is used and bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketlake.errors import ConfigError
from marketlake.serve import RunningServer, ServeConfig, start_server
from marketlake.serve.client import FlightClient
from marketlake.serve.config import DEFAULT_CACHE_MB
from marketlake.settings import Settings

CASES = [
    ("BTCUSDT", 1, 0, "2024-01-01", "2024-01-03", False),
    (["ETHUSDT", "BTCUSDT"], "4h", "30m", "2024-01-02 05:00", "2024-01-05", False),
    ("ETHUSDT", 7, 3, "2024-01-03 00:01", "2024-01-03 21:00", True),
]


@pytest.fixture(scope="module")
def uncached(lake_settings: Settings) -> Iterator[RunningServer]:
    with start_server(ServeConfig(lake_settings, port=0, cache_mb=0)) as running:
        yield running


@pytest.fixture(scope="module")
def cached(lake_settings: Settings) -> Iterator[RunningServer]:
    with start_server(ServeConfig(lake_settings, port=0, cache_mb=64)) as running:
        yield running


def test_cache_config() -> None:
    settings = Settings()
    assert ServeConfig(settings).cache_bytes == DEFAULT_CACHE_MB * 2**20 == 2048 * 2**20
    assert ServeConfig(settings, cache_mb=0).cache_bytes == 0
    with pytest.raises(ConfigError, match="cache-mb"):
        ServeConfig(settings, cache_mb=-1)


@pytest.mark.parametrize("case", CASES)
def test_answers_equal_with_and_without_the_cache(
    uncached: RunningServer, cached: RunningServer, case: tuple[object, ...]
) -> None:
    symbols, interval, offset, begin, end, complete_only = case
    with (
        FlightClient("127.0.0.1", uncached.port) as plain,
        FlightClient("127.0.0.1", cached.port) as warm,
    ):
        args = ("um", symbols, interval, offset, begin, end)
        expected = plain.get_symbol(*args, complete_only=complete_only)  # type: ignore[arg-type]
        assert expected.height > 0
        for _ in range(2):  # cold, then from the cache
            served = warm.get_symbol(*args, complete_only=complete_only)  # type: ignore[arg-type]
            assert served.schema == expected.schema
            assert served.equals(expected)
    assert uncached.source.lake.reader.cache is None


def test_repeated_market_read_is_served_from_the_cache(cached: RunningServer) -> None:
    cache = cached.source.lake.reader.cache
    assert cache is not None and cache.max_bytes == 64 * 2**20
    with FlightClient("127.0.0.1", cached.port) as client:
        first = client.get_market("um", 60, 0, "2024-01-01", "2024-02-01")
        before = cache.stats()
        second = client.get_market("um", 60, 0, "2024-01-01", "2024-02-01")
        after = cache.stats()
    assert second.equals(first) and first.height == 2 * 31 * 24
    assert after.misses == before.misses
    assert after.hits > before.hits
    assert 0 < after.nbytes <= cache.max_bytes
