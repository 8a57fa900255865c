"""Downloads through a proxy named by the environment: absolute-form http, CONNECT tunnels
for https, credentials, and the rules of which hosts go direct."""

from __future__ import annotations

import asyncio
import base64
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from marketlake.errors import ConfigError, SourceError, TransientSourceError
from marketlake.ingest.request import build_request
from marketlake.ingest.run import ingest
from marketlake.manifest import open_manifest
from marketlake.manifest.models import PartitionStatus
from marketlake.mirror import MirrorServer
from marketlake.settings import Settings
from marketlake.source import ArchiveClient
from marketlake.source._proxy import Proxy, ProxyRoutes
from tests.serve.certs import self_signed
from tests.source.conftest import SAMPLES, fast_config, sample_keys
from tests.source.proxy import running_proxy

FIRST = sample_keys()[0]
NAME = "archive.test"  # resolves nowhere: only the proxy knows where it is


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the variables it means; none leak in from the machine."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _address(mirror: MirrorServer) -> tuple[str, int]:
    parts = urlsplit(mirror.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


async def _fetch(url: str, *, retries: int = 0) -> bytes:
    async with ArchiveClient(fast_config(url, max_retries=retries), seed=0) as client:
        return (await client.fetch_verified(FIRST)).data


def test_an_http_archive_is_reached_through_the_proxy(
    samples_mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _address(samples_mirror)[1]
    with running_proxy({(NAME, port): _address(samples_mirror)}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        data = asyncio.run(_fetch(f"http://{NAME}:{port}"))
    assert data == (SAMPLES / FIRST.zip_key).read_bytes()
    assert f"GET http://{NAME}:{port}/{FIRST.zip_key} HTTP/1.1" in proxy.log.lines
    assert f"GET http://{NAME}:{port}/{FIRST.checksum_key} HTTP/1.1" in proxy.log.lines


def test_an_https_archive_is_reached_through_a_connect_tunnel(
    samples_mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    certificate = self_signed(tmp_path, NAME)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))  # the client trusts it
    with running_proxy({(NAME, 443): _address(samples_mirror)}, tls=certificate) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        data = asyncio.run(_fetch(f"https://{NAME}"))
    assert data == (SAMPLES / FIRST.zip_key).read_bytes()
    assert proxy.log.lines[0] == f"CONNECT {NAME}:443 HTTP/1.1"
    assert all(line.startswith("CONNECT ") for line in proxy.log.lines)  # the rest is TLS


def test_credentials_in_the_proxy_url_are_sent_and_a_refusal_is_not_retried(
    samples_mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    certificate = self_signed(tmp_path, NAME)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    hosts = {(NAME, 443): _address(samples_mirror)}
    with running_proxy(hosts, tls=certificate, credentials="ana:p@ss") as proxy:
        host_port = proxy.url.removeprefix("http://")
        monkeypatch.setenv("HTTPS_PROXY", f"http://ana:p%40ss@{host_port}")
        assert asyncio.run(_fetch(f"https://{NAME}")) == (SAMPLES / FIRST.zip_key).read_bytes()
        expected = "Basic " + base64.b64encode(b"ana:p@ss").decode()
        assert proxy.log.headers[0]["Proxy-Authorization"] == expected

        monkeypatch.setenv("HTTPS_PROXY", f"http://ana:wrong@{host_port}")
        seen = len(proxy.log.lines)
        with pytest.raises(SourceError) as refused:
            asyncio.run(_fetch(f"https://{NAME}", retries=3))
    assert not isinstance(refused.value, TransientSourceError)
    assert "HTTP 407" in refused.value.message
    assert "wrong" not in refused.value.message  # credentials never in messages
    assert len(proxy.log.lines) == seen + 1  # refused once, not retried


def test_loopback_hosts_go_direct(
    samples_mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_proxy({}) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        data = asyncio.run(_fetch(samples_mirror.base_url))  # 127.0.0.1: never proxied
        assert data == (SAMPLES / FIRST.zip_key).read_bytes()
        localhost = samples_mirror.base_url.replace("127.0.0.1", "localhost")
        assert asyncio.run(_fetch(localhost)) == data
    assert proxy.log.lines == []


def test_an_ingest_runs_through_the_proxy(
    samples_mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = FIRST  # a daily-only dataset: cm liquidationSnapshot, one day
    assert key.dataset == "liquidationSnapshot"
    day = date.fromisoformat(key.date)
    port = _address(samples_mirror)[1]
    with running_proxy({(NAME, port): _address(samples_mirror)}) as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        settings = Settings(lake=tmp_path / "lake", source=f"http://{NAME}:{port}", workers=1)
        request = build_request(
            market=key.market.value, dataset=key.dataset, symbols=key.symbol, start=day, end=day
        )
        report = ingest(settings, request)
    assert (report.planned, report.done, report.failed) == (1, 1, 0)
    with open_manifest(None, lake_root=settings.lake) as store:
        record = store.get(settings.archive_id, key)
    assert record is not None and record.status is PartitionStatus.DONE
    assert f"GET http://{NAME}:{port}/{key.zip_key} HTTP/1.1" in proxy.log.lines
    assert any("list-type=2" in line or "prefix=" in line for line in proxy.log.lines)


ALL = {"all_proxy": "http://p"}


@pytest.mark.parametrize(
    ("variables", "target", "expected"),
    [
        ({"https_proxy": "http://p:3128"}, ("https", "data.binance.vision", 443), "p:3128"),
        ({"https_proxy": "http://p:3128"}, ("http", "data.binance.vision", 80), None),
        ({"ALL_PROXY": "p:8080"}, ("http", "example.com", 80), "p:8080"),
        ({"HTTPS_PROXY": "http://up", "https_proxy": "http://lo"}, ("https", "a.b", 443), "lo:80"),
        ({"HTTPS_PROXY": "http://up", "https_proxy": ""}, ("https", "a.b", 443), None),
        ({"HTTP_PROXY": "http://p", "REQUEST_METHOD": "GET"}, ("http", "a.b", 80), None),
        ({**ALL, "no_proxy": "*"}, ("https", "a.b", 443), None),
        ({**ALL, "no_proxy": ".vision"}, ("https", "data.binance.vision", 443), None),
        ({**ALL, "NO_PROXY": "x.y, binance.vision"}, ("https", "data.binance.vision", 443), None),
        ({**ALL, "no_proxy": "binance.vision"}, ("https", "notbinance.vision", 443), "p:80"),
        ({**ALL, "no_proxy": "a.b:8443"}, ("https", "a.b", 443), "p:80"),
        ({**ALL, "no_proxy": "a.b:443"}, ("https", "a.b", 443), None),
        ({**ALL, "no_proxy": "10.0.0.0/8"}, ("http", "10.2.3.4", 80), None),
        ({**ALL, "no_proxy": "10.0.0.0/8"}, ("http", "11.2.3.4", 80), "p:80"),
        ({**ALL, "no_proxy": "[2001:db8::1]:80"}, ("http", "2001:db8::1", 80), None),
        (ALL, ("http", "127.0.0.7", 80), None),
        (ALL, ("http", "::1", 80), None),
        (ALL, ("http", "LOCALHOST", 80), None),
    ],
)
def test_which_proxy_a_target_goes_through(
    variables: dict[str, str], target: tuple[str, str, int], expected: str | None
) -> None:
    proxy = ProxyRoutes.from_environment(variables).for_target(*target)
    assert (None if proxy is None else str(proxy)) == expected


def test_a_proxy_url_with_credentials_gives_basic_authorization() -> None:
    proxy = Proxy.parse("http://user%3Aname:s%40cret@proxy.example:3128")
    assert (proxy.host, proxy.port) == ("proxy.example", 3128)
    assert proxy.authorization == "Basic " + base64.b64encode(b"user:name:s@cret").decode()
    assert str(proxy) == "proxy.example:3128"


def test_a_proxy_that_is_not_http_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "socks5://127.0.0.1:1080")

    async def open_client() -> None:
        async with ArchiveClient(fast_config("https://data.binance.vision")):
            pass

    with pytest.raises(ConfigError, match="http://host"):
        asyncio.run(open_client())
