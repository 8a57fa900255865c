"""A small lake written by the real ingest from the stand-in, and real Flight servers over it.

The lake (built once per session): um 1m and 1h klines of BTCUSDT and ETHUSDT for January
2024 (the monthly files), um fundingRate of BTCUSDT for January 2024 (monthly), um metrics
of BTCUSDT for 2024-01-01, and spot 1m klines of BTCUSDT for 2024-01-01. The stand-in keeps
running for the session (servers ask it for exchange info and listings, as they would ask
Binance). Servers run in this process on gRPC's threads, on free ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.mirror import run_mirror
from marketlake.serve import RunningServer, ServeConfig, start_server
from marketlake.serve.client import FlightClient
from marketlake.settings import Settings
from tests.serve.certs import CertificatePair, self_signed

STAND_IN_NOW = date(2024, 3, 20)
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2024, 1, 31)
TOKEN = "correct horse battery staple"


@dataclass(frozen=True)
class Ingested:
    """One ingest of the test lake."""

    market: str
    dataset: str
    interval: str | None
    symbols: str
    start: date
    end: date


LAKE_CONTENT = (
    Ingested("um", "klines", "1m,1h", "BTCUSDT,ETHUSDT", FIRST_DAY, LAST_DAY),
    Ingested("um", "fundingRate", None, "BTCUSDT", FIRST_DAY, date(2024, 1, 31)),
    Ingested("um", "metrics", None, "BTCUSDT", FIRST_DAY, FIRST_DAY),
    Ingested("spot", "klines", "1m", "BTCUSDT", FIRST_DAY, FIRST_DAY),
    Ingested("um", "aggTrades", None, "BTCUSDT", FIRST_DAY, FIRST_DAY),
)


@pytest.fixture(scope="session")
def stand_in_url() -> Iterator[str]:
    """The archive stand-in (archive, listing and exchange info), for the whole session."""
    with run_mirror(seed=0, now=STAND_IN_NOW, big=False) as mirror:
        yield mirror.base_url


@pytest.fixture(scope="session")
def lake_settings(tmp_path_factory: pytest.TempPathFactory, stand_in_url: str) -> Settings:
    """Settings of the test lake, ingested from the stand-in over HTTP."""
    lake = tmp_path_factory.mktemp("served") / "lake"
    settings = Settings(lake=lake, source=stand_in_url, workers=1)
    for item in LAKE_CONTENT:
        request = build_request(
            market=item.market,
            dataset=item.dataset,
            interval=item.interval,
            symbols=item.symbols,
            start=item.start,
            end=item.end,
        )
        report = ingest(settings, request)
        assert report.failed == 0 and report.done > 0, item
    return settings


@pytest.fixture(scope="session")
def served_lake(lake_settings: Settings) -> Path:
    """The test lake's folder."""
    return lake_settings.lake


@pytest.fixture(scope="session")
def server(lake_settings: Settings) -> Iterator[RunningServer]:
    """A server without token or TLS over the test lake."""
    with start_server(ServeConfig(lake_settings, port=0)) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[FlightClient]:
    """A client of :func:`server`."""
    with FlightClient("127.0.0.1", server.port) as connected:
        yield connected


@pytest.fixture(scope="session")
def token_server(lake_settings: Settings) -> Iterator[RunningServer]:
    """A server that requires :data:`TOKEN`."""
    with start_server(ServeConfig(lake_settings, port=0, token=TOKEN)) as running:
        yield running


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    """A self-signed certificate for localhost and 127.0.0.1."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_server(lake_settings: Settings, certificate: CertificatePair) -> Iterator[RunningServer]:
    """A server speaking TLS with the self-signed certificate, and requiring the token."""
    config = ServeConfig(
        lake_settings,
        port=0,
        token=TOKEN,
        tls_cert=certificate.cert,
        tls_key=certificate.key,
    )
    with start_server(config) as running:
        yield running
