"""SourceConfig defaults, validation and the mirror form."""

from __future__ import annotations

import pytest

from marketlake.errors import ConfigError
from marketlake.source import SourceConfig


def test_defaults_point_at_the_real_archive() -> None:
    config = SourceConfig()
    assert config.download_url == "https://data.binance.vision"
    assert config.listing_url == "https://s3-ap-northeast-1.amazonaws.com/data.binance.vision"
    assert config.concurrency == 16
    assert config.max_retries == 5
    assert config.max_attempts == 6
    assert config.user_agent.startswith("marketlake/")


def test_a_mirror_serves_downloads_at_its_root_and_listings_in_the_bucket_form() -> None:
    config = SourceConfig.for_mirror("http://127.0.0.1:8123/", max_retries=2, concurrency=4)
    assert config.download_url == "http://127.0.0.1:8123"
    assert config.listing_url == "http://127.0.0.1:8123/data.binance.vision"
    assert (config.max_retries, config.concurrency) == (2, 4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"max_retries": -1},
        {"timeout_seconds": 0},
        {"backoff_base_seconds": 5, "backoff_cap_seconds": 1},
        {"download_url": "ftp://example"},
    ],
)
def test_unusable_settings_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SourceConfig(**kwargs)  # type: ignore[arg-type]
