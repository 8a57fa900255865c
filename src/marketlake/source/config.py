"""Where the archive lives and how politely to talk to it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from marketlake import __version__
from marketlake.errors import ConfigError
from marketlake.settings import REAL_DOWNLOAD_URL, REAL_LISTING_URL

DOWNLOAD_URL = REAL_DOWNLOAD_URL
LISTING_URL = REAL_LISTING_URL
BUCKET = "data.binance.vision"


@dataclass(frozen=True, kw_only=True)
class SourceConfig:
    """Settings of the source layer: base URLs, concurrency, timeouts, retries, backoff."""

    download_url: str = DOWNLOAD_URL
    listing_url: str = LISTING_URL
    concurrency: int = 16
    timeout_seconds: float = 60.0
    max_retries: int = 5
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    user_agent: str = f"marketlake/{__version__}"

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be 0 or more, got {self.max_retries}")
        if self.timeout_seconds <= 0:
            raise ConfigError(f"timeout_seconds must be positive, got {self.timeout_seconds}")
        if not 0 <= self.backoff_base_seconds <= self.backoff_cap_seconds:
            raise ConfigError("backoff needs 0 <= backoff_base_seconds <= backoff_cap_seconds")
        for name in ("download_url", "listing_url"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise ConfigError(f"{name} must be an http(s) URL, got {getattr(self, name)!r}")
        object.__setattr__(self, "download_url", self.download_url.rstrip("/"))
        object.__setattr__(self, "listing_url", self.listing_url.rstrip("/"))

    @property
    def max_attempts(self) -> int:
        """How many times one request is tried in all (the first try plus the retries)."""
        return self.max_retries + 1

    @classmethod
    def for_mirror(cls, url: str, **overrides: Any) -> SourceConfig:
        """Settings that download and list from a mirror at ``url`` (bucket-named listing form)."""
        base = url.rstrip("/")
        return replace(cls(download_url=base, listing_url=f"{base}/{BUCKET}"), **overrides)
