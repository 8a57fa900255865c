"""Settings resolve from defaults < config file < environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketlake.errors import ConfigError
from marketlake.settings import REAL_DOWNLOAD_URL, REAL_LISTING_URL, resolve_settings


def test_defaults_point_at_the_real_archive_and_a_local_lake() -> None:
    settings = resolve_settings({}, env={})
    assert settings.lake == Path("marketlake-data")
    assert settings.manifest is None
    assert settings.download_url == REAL_DOWNLOAD_URL
    assert settings.listing_url == REAL_LISTING_URL


def test_command_line_beats_environment_beats_config_file(tmp_path: Path) -> None:
    config = tmp_path / "marketlake.toml"
    config.write_text('lake = "/from-config"\nworkers = 3\nsource = "http://config:1"\n')
    env = {"MARKETLAKE_LAKE": "/from-env", "MARKETLAKE_WORKERS": "4"}
    settings = resolve_settings({"workers": 7}, config=config, env=env)
    assert settings.lake == Path("/from-env")
    assert settings.workers == 7
    assert settings.source == "http://config:1"
    assert settings.listing_url == "http://config:1/data.binance.vision"


def test_the_config_file_can_be_named_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text("concurrency = 2\n")
    settings = resolve_settings({}, env={"MARKETLAKE_CONFIG": str(config)})
    assert settings.concurrency == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [("workers = 0\n", "at least 1"), ("wrokers = 2\n", "unknown setting"), ("lake = [\n", "TOML")],
)
def test_bad_config_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        resolve_settings({}, config=config, env={})


def test_passwords_never_show_in_the_settings_repr() -> None:
    settings = resolve_settings({"manifest": "postgresql://ingest:s3cret@db:5432/lake"}, env={})
    assert "s3cret" not in repr(settings)
    assert "postgresql://ingest:***@db:5432/lake" in repr(settings)
