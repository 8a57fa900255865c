"""Seeded fault injection observed by real clients over real HTTP."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import zipfile
import zlib
from collections import Counter

import httpx
import pytest

from marketlake.catalog import parse_checksum
from marketlake.errors import ConfigError
from marketlake.mirror import FaultKind, FaultSpec, MirrorServer, run_mirror
from marketlake.mirror.faults import FaultInjector
from tests.mirror.server_support import MemoryContent, archive_pair, http

ZIP_KEY = "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip"
SUM_KEY = ZIP_KEY + ".CHECKSUM"
ROWS = "".join(
    f"{i},42000.{i % 97:02d},0.{i % 13:03d},1.5,{1704067200000 + i},True,True\n"
    for i in range(40000)
)


@pytest.fixture(scope="module")
def content() -> MemoryContent:
    return MemoryContent(archive_pair(ZIP_KEY, ROWS))


def _statuses(mirror: MirrorServer, count: int, key: str = SUM_KEY) -> list[int]:
    with httpx.Client(base_url=mirror.base_url) as http:
        return [http.get(f"/{key}").status_code for _ in range(count)]


def _raw_get(mirror: MirrorServer, key: str) -> tuple[bytes, bytes, BaseException | None]:
    """Headers, the body bytes received, and the error that ended the read (if any)."""
    with socket.create_connection((mirror.host, mirror.port), timeout=5) as sock:
        sock.sendall(f"GET /{key} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        error: BaseException | None = None
        try:
            while chunk := sock.recv(1 << 16):
                received += chunk
        except OSError as exc:
            error = exc
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body, error


def test_spec_parses_the_documented_example() -> None:
    spec = FaultSpec.parse(
        "5xx=0.05,reset=0.02,truncate=0.02,slow=0.01:2.0,429=0.02:1,418=0,"
        "bad_checksum=0.01,corrupt_zip=0.01"
    )
    assert spec.rates[FaultKind.SERVER_ERROR] == 0.05
    assert spec.rates[FaultKind.SLOW] == 0.01
    assert spec.slow_seconds == 2.0
    assert spec.retry_after_seconds == 1.0
    assert spec.rates[FaultKind.BANNED] == 0.0
    assert spec.listing is False
    assert FaultSpec.parse("5xx=0.1,listing=1").listing is True
    assert not FaultSpec.parse("").active


@pytest.mark.parametrize(
    "text", ["boom=0.1", "5xx=2", "5xx=0.6,reset=0.6", "5xx=lots", "5xx", "slow=0.1:-1"]
)
def test_bad_specs_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        FaultSpec.parse(text)


def test_5xx_rate_is_kept_and_counted(content: MemoryContent) -> None:
    with run_mirror(content, faults="5xx=0.1", seed=3) as mirror:
        statuses = _statuses(mirror, 1000)
        stats = mirror.stats().faults
        remote = http().get(f"{mirror.base_url}/_stats").json()
    errors = [status for status in statuses if status >= 500]
    assert 60 <= len(errors) <= 140
    assert set(errors) <= {500, 502, 503}
    assert statuses.count(200) == 1000 - len(errors)
    assert stats.count(FaultKind.SERVER_ERROR) == len(errors)
    assert stats.eligible_requests == 1000
    assert remote["faults"] == {"5xx": len(errors)}


def test_faults_are_deterministic_for_a_seed(content: MemoryContent) -> None:
    spec = "5xx=0.2,429=0.1:3,418=0.05"
    runs = []
    for seed in (11, 11, 12):
        with run_mirror(content, faults=spec, seed=seed) as mirror:
            runs.append(_statuses(mirror, 60))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert Counter(runs[0]).keys() >= {200, 429}


def test_injector_sequence_is_deterministic_without_http() -> None:
    spec = FaultSpec.parse("5xx=0.3,reset=0.3")

    def kinds(seed: int) -> list[FaultKind | None]:
        injector = FaultInjector(spec, seed)
        return [getattr(injector.draw("k.zip"), "kind", None) for _ in range(200)]

    assert kinds(5) == kinds(5)
    assert kinds(5) != kinds(6)
    reordered = FaultInjector(FaultSpec.parse("reset=0.3,5xx=0.3"), 5)
    assert [getattr(reordered.draw("k.zip"), "kind", None) for _ in range(200)] == kinds(5)


def test_429_carries_retry_after(content: MemoryContent) -> None:
    with run_mirror(content, faults="429=1:7") as mirror:
        response = http().get(f"{mirror.base_url}/{SUM_KEY}")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


def test_418_bans(content: MemoryContent) -> None:
    with run_mirror(content, faults="418=1") as mirror:
        assert _statuses(mirror, 3) == [418, 418, 418]


def test_reset_sends_part_of_the_body_then_resets(content: MemoryContent) -> None:
    size = len(content.files[ZIP_KEY])
    with run_mirror(content, faults="reset=1") as mirror:
        head, body, error = _raw_get(mirror, ZIP_KEY)
        with pytest.raises(httpx.TransportError):
            http().get(f"{mirror.base_url}/{ZIP_KEY}")
        assert mirror.stats().faults.count(FaultKind.RESET) == 2
    assert head.startswith(b"HTTP/1.1 200")
    assert f"Content-Length: {size}".encode() in head
    assert isinstance(error, ConnectionResetError)
    assert len(body) < size


def test_truncate_closes_before_content_length(content: MemoryContent) -> None:
    size = len(content.files[ZIP_KEY])
    with run_mirror(content, faults="truncate=1") as mirror:
        head, body, error = _raw_get(mirror, ZIP_KEY)
        with pytest.raises(httpx.RemoteProtocolError):
            http().get(f"{mirror.base_url}/{ZIP_KEY}")
    assert f"Content-Length: {size}".encode() in head
    assert error is None
    assert len(body) < size
    assert body == content.files[ZIP_KEY][: len(body)]


def test_slow_delays_the_answer(content: MemoryContent) -> None:
    with run_mirror(content, faults="slow=1:0.3") as mirror:
        started = time.perf_counter()
        response = http().get(f"{mirror.base_url}/{SUM_KEY}")
        elapsed = time.perf_counter() - started
    assert response.content == content.files[SUM_KEY]
    assert elapsed >= 0.3


def test_bad_checksum_is_well_formed_but_wrong(content: MemoryContent) -> None:
    with run_mirror(content, faults="bad_checksum=1") as mirror:
        zip_bytes = http().get(f"{mirror.base_url}/{ZIP_KEY}").content
        checksum = http().get(f"{mirror.base_url}/{SUM_KEY}").text
    assert zip_bytes == content.files[ZIP_KEY]
    digest, name = parse_checksum(checksum)
    assert name == "BTCUSDT-trades-2024-01-01.zip"
    assert digest != hashlib.sha256(zip_bytes).hexdigest()
    assert len(checksum) == len(content.files[SUM_KEY])


def test_corrupt_zip_has_same_length_and_fails_to_inflate(content: MemoryContent) -> None:
    original = content.files[ZIP_KEY]
    with run_mirror(content, faults="corrupt_zip=1") as mirror:
        corrupted = http().get(f"{mirror.base_url}/{ZIP_KEY}").content
        checksum = http().get(f"{mirror.base_url}/{SUM_KEY}").content
    assert checksum == content.files[SUM_KEY]
    assert len(corrupted) == len(original)
    assert corrupted != original
    assert corrupted[:60] == original[:60]  # headers intact: the damage is in the deflate data
    with (
        zipfile.ZipFile(io.BytesIO(corrupted)) as archive,
        pytest.raises((zipfile.BadZipFile, zlib.error)),
    ):
        archive.read(archive.namelist()[0])


def test_listings_and_heads_are_spared_unless_asked(content: MemoryContent) -> None:
    with run_mirror(content, faults="5xx=1") as mirror:
        assert http().get(f"{mirror.base_url}/", params={"prefix": "data/"}).status_code == 200
        assert http().head(f"{mirror.base_url}/{ZIP_KEY}").status_code == 200
        assert http().get(f"{mirror.base_url}/{ZIP_KEY}").status_code >= 500
        assert http().get(f"{mirror.base_url}/data/absent.zip").status_code == 404
    with run_mirror(content, faults="5xx=1,listing=1") as mirror:
        assert http().get(f"{mirror.base_url}/", params={"prefix": "data/"}).status_code >= 500


def test_listing_faults_skip_body_only_kinds(content: MemoryContent) -> None:
    with run_mirror(content, faults="corrupt_zip=1,listing=1") as mirror:
        response = http().get(f"{mirror.base_url}/", params={"prefix": "data/"})
        assert response.status_code == 200
        assert mirror.stats().faults.count(FaultKind.CORRUPT_ZIP) == 0
