"""How a Flight server is started: the lake's settings, address, token and TLS files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from marketlake.errors import ConfigError
from marketlake.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8815
DEFAULT_CACHE_MB = 2048


@dataclass(frozen=True)
class ServeConfig:
    """A Flight server's settings; the token is kept out of reprs and logs.

    ``settings`` name the lake and its manifest (and, for ``exginfo``, the archive and REST
    URLs). ``port`` 0 picks a free port (the server reports the one it got). TLS needs both
    ``tls_cert`` and ``tls_key`` (PEM files). ``online=False`` answers ``exginfo`` from the
    lake alone (no exchange-info or listing requests); answers are cached ``exginfo_ttl`` s.
    ``read_rows`` bounds the stored rows the read path holds per piece of a streamed answer.
    ``cache_mb`` MiB of decoded lake files are kept in memory for hot data (0: none).
    """

    settings: Settings
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = field(default=None, repr=False)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    online: bool = True
    exginfo_ttl: float = 300.0
    read_rows: int = 1_000_000
    cache_mb: int = DEFAULT_CACHE_MB

    def __post_init__(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("TLS needs both --tls-cert and --tls-key")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is not a TCP port (0..65535)")
        if self.read_rows < 1:
            raise ConfigError(f"read_rows must be at least 1, got {self.read_rows}")
        if self.cache_mb < 0:
            raise ConfigError(f"--cache-mb must be 0 (off) or more, got {self.cache_mb}")
        if self.token is not None and not self.token.strip():
            raise ConfigError("--token is empty: give a secret, or leave it out")

    @property
    def lake(self) -> Path:
        """The lake's root folder."""
        return self.settings.lake

    @property
    def cache_bytes(self) -> int:
        """The decoded-file cache's size in bytes (0: off)."""
        return self.cache_mb * 2**20

    @property
    def tls(self) -> bool:
        """True when the server speaks TLS."""
        return self.tls_cert is not None

    @property
    def location(self) -> str:
        """The gRPC URI the server binds (``grpc+tls://`` with TLS)."""
        scheme = "grpc+tls" if self.tls else "grpc+tcp"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def certificates(self) -> list[tuple[bytes, bytes]]:
        """The (certificate, key) PEM pairs to serve with; empty without TLS."""
        if self.tls_cert is None or self.tls_key is None:
            return []
        try:
            return [(self.tls_cert.read_bytes(), self.tls_key.read_bytes())]
        except OSError as exc:
            raise ConfigError(f"cannot read the TLS certificate or key: {exc}") from exc
