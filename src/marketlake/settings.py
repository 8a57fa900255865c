"""One settings object, resolved from defaults < config file < environment < command line.

The config file is TOML (``marketlake.toml`` in the working directory, or the file named by
``--config`` / ``MARKETLAKE_CONFIG``), with the same names as the command-line options; shared
settings at the top, any command's own options in a table named after it::

    lake = "/data/marketlake"
    manifest = "postgresql://ingest@db/marketlake"
    source = "http://127.0.0.1:8080"
    workers = 4

    [ingest]
    market = "um"
    dataset = "klines"
    interval = "1m,1h"
    symbols = "BTCUSDT,ETHUSDT"

Environment variables are the upper-cased names prefixed with ``MARKETLAKE_``
(``MARKETLAKE_LAKE``, ``MARKETLAKE_MANIFEST``, ...).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from marketlake.errors import ConfigError
from marketlake.secrets import mask_dsn

ENV_PREFIX = "MARKETLAKE_"
DEFAULT_CONFIG_FILE = "marketlake.toml"
REAL_DOWNLOAD_URL = "https://data.binance.vision"
REAL_LISTING_URL = "https://s3-ap-northeast-1.amazonaws.com/data.binance.vision"
ARCHIVE_ID = "data.binance.vision"


@dataclass(frozen=True)
class Settings:
    """Where the lake, the manifest and the archive are, and how hard to work."""

    lake: Path = Path("marketlake-data")
    manifest: str | None = field(default=None, repr=False)
    source: str | None = None
    rest: str | None = None
    warehouse: str | None = field(default=None, repr=False)
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    concurrency: int = 16

    def __repr__(self) -> str:
        manifest = mask_dsn(self.manifest) if self.manifest else None
        return (
            f"Settings(lake={str(self.lake)!r}, manifest={manifest!r}, "
            f"source={self.source!r}, rest={self.rest!r}, workers={self.workers}, "
            f"concurrency={self.concurrency})"
        )

    @property
    def archive_id(self) -> str:
        """The archive partitions come from, as the manifest names it.

        A mirror (or the stand-in) serves the same archive, so partitions keep their identity
        whichever URL they were fetched from; the URL itself goes into each run's report.
        """
        return ARCHIVE_ID

    @property
    def download_url(self) -> str:
        """Where archive files are downloaded from."""
        return (self.source or REAL_DOWNLOAD_URL).rstrip("/")

    @property
    def rest_url(self) -> str | None:
        """One base URL for Binance's REST endpoints of every market (None: the real hosts).

        ``rest`` when set, else ``source`` (the stand-in serves REST on its archive URL).
        """
        base = self.rest or self.source
        return base.rstrip("/") if base else None

    @property
    def listing_url(self) -> str:
        """Where the bucket is listed (the bucket-named S3 form)."""
        if self.source is None:
            return REAL_LISTING_URL
        return self.source.rstrip("/") + "/data.binance.vision"


_CONVERTERS: dict[str, Any] = {
    "lake": Path,
    "manifest": str,
    "source": str,
    "rest": str,
    "warehouse": str,
    "workers": int,
    "concurrency": int,
}


def _convert(name: str, value: object, origin: str) -> object:
    try:
        converted = _CONVERTERS[name](value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: {name} = {value!r} is not valid: {exc}") from exc
    if name in ("workers", "concurrency") and isinstance(converted, int) and converted < 1:
        raise ConfigError(f"{origin}: {name} must be at least 1, got {converted}")
    return converted


def _from_mapping(values: Mapping[str, object], origin: str) -> dict[str, object]:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{origin}: unknown setting(s) {', '.join(unknown)}; known: {sorted(known)}"
        )
    return {k: _convert(k, v, origin) for k, v in values.items() if v is not None}


def config_path(path: Path | None, env: Mapping[str, str]) -> Path | None:
    """The config file in force: ``path``, else ``$MARKETLAKE_CONFIG``, else ./marketlake.toml."""
    explicit = path or (Path(env[ENV_PREFIX + "CONFIG"]) if ENV_PREFIX + "CONFIG" in env else None)
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def read_config(path: Path | None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole config file as TOML data (empty when there is none)."""
    found = config_path(path, os.environ if env is None else env)
    if found is None:
        return {}
    try:
        with found.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {found} is not valid TOML: {exc}") from exc


def command_defaults(config: Mapping[str, Any], command: str) -> dict[str, Any]:
    """Option defaults for a command: the top-level values, then its ``[command]`` table."""
    shared = {k: v for k, v in config.items() if not isinstance(v, dict)}
    table = config.get(command, {})
    return {**shared, **(table if isinstance(table, dict) else {})}


def _read_config_file(path: Path | None, env: Mapping[str, str]) -> dict[str, object]:
    data = read_config(path, env)
    top_level = {k: v for k, v in data.items() if not isinstance(v, dict)}
    return _from_mapping(top_level, "config file")


def _read_environment(env: Mapping[str, str]) -> dict[str, object]:
    values = {
        f.name: env[ENV_PREFIX + f.name.upper()]
        for f in fields(Settings)
        if ENV_PREFIX + f.name.upper() in env
    }
    return _from_mapping(values, "environment")


def resolve_settings(
    flags: Mapping[str, object] | None = None,
    *,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from defaults < config file < environment < ``flags`` (None means not given)."""
    environment = os.environ if env is None else env
    merged: dict[str, Any] = {}
    merged.update(_read_config_file(config, environment))
    merged.update(_read_environment(environment))
    merged.update(_from_mapping(flags or {}, "command line"))
    return replace(Settings(), **merged)
