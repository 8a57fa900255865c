"""Objects over real HTTP: GET, HEAD, ranges, 404s, keep-alive, big bodies, curl."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
import pytest

from marketlake.mirror import MirrorServer, run_mirror
from marketlake.mirror.responses import UNSATISFIABLE, ByteRange, parse_range
from tests.mirror.server_support import STAMP, MemoryContent, archive_pair

ZIP_KEY = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01-01.zip"
ODD_KEY = "data/futures/um/daily/klines/龙虾USDT/1m/龙虾USDT-1m-2025-10-01.zip"
BIG_KEY = "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip"
BIG_SIZE = 64 * 1024 * 1024


@pytest.fixture(scope="module")
def content() -> MemoryContent:
    files = archive_pair(ZIP_KEY, "1,2,3,4\n" * 1000) | archive_pair(ODD_KEY, "9,9\n")
    files[BIG_KEY] = os.urandom(1 << 20) * (BIG_SIZE >> 20)
    return MemoryContent(files)


@pytest.fixture(scope="module")
def mirror(content: MemoryContent) -> Iterator[MirrorServer]:
    with run_mirror(content) as server:
        yield server


@pytest.fixture
def client(mirror: MirrorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mirror.base_url) as http:
        yield http


def test_get_serves_exact_bytes_and_headers(client: httpx.Client, content: MemoryContent) -> None:
    response = client.get(f"/{ZIP_KEY}")
    data = content.files[ZIP_KEY]
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["last-modified"]) == STAMP.replace(microsecond=0)
    assert response.headers["last-modified"].endswith(" GMT")


def test_checksum_is_text_plain(client: httpx.Client, content: MemoryContent) -> None:
    response = client.get(f"/{ZIP_KEY}.CHECKSUM")
    assert response.headers["content-type"] == "text/plain"
    digest = hashlib.sha256(content.files[ZIP_KEY]).hexdigest()
    assert response.text == f"{digest}  BTCUSDT-1d-2024-01-01.zip"


def test_bucket_named_path_serves_the_same_object(
    client: httpx.Client, content: MemoryContent
) -> None:
    response = client.get(f"/data.binance.vision/{ZIP_KEY}")
    assert response.content == content.files[ZIP_KEY]


def test_head_has_headers_and_no_body(client: httpx.Client, content: MemoryContent) -> None:
    response = client.head(f"/{ZIP_KEY}")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(content.files[ZIP_KEY]))
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers


def test_non_ascii_key(client: httpx.Client, content: MemoryContent) -> None:
    response = client.get("/" + quote(ODD_KEY))
    assert response.status_code == 200
    assert response.content == content.files[ODD_KEY]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, None), ("bytes=-25", -25, None)],
)
def test_range_gives_206(
    client: httpx.Client, content: MemoryContent, header: str, start: int, end: int | None
) -> None:
    data = content.files[ZIP_KEY]
    response = client.get(f"/{ZIP_KEY}", headers={"Range": header})
    expected = data[start : None if end is None else end + 1]
    first = start % len(data)
    assert response.status_code == 206
    assert response.content == expected
    assert response.headers["content-length"] == str(len(expected))
    last = first + len(expected) - 1
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"


def test_range_past_the_end_is_clamped(client: httpx.Client, content: MemoryContent) -> None:
    data = content.files[ZIP_KEY]
    response = client.get(f"/{ZIP_KEY}", headers={"Range": f"bytes=5-{len(data) * 2}"})
    assert response.status_code == 206
    assert response.content == data[5:]


def test_unsatisfiable_range_is_416(client: httpx.Client, content: MemoryContent) -> None:
    size = len(content.files[ZIP_KEY])
    response = client.get(f"/{ZIP_KEY}", headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert b"<Code>InvalidRange</Code>" in response.content


def test_parse_range_edge_cases() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == ByteRange(0, 0)
    assert parse_range("bytes=-100", 10) == ByteRange(0, 9)
    assert parse_range("bytes=-0", 10) is UNSATISFIABLE
    assert parse_range("bytes=5-2", 10) is None
    assert parse_range("bytes=10-12", 10) is UNSATISFIABLE
    assert parse_range("bytes=3-3", 10) == ByteRange(3, 3)
    assert parse_range("bytes=0-", 0) is UNSATISFIABLE
    assert parse_range("bytes=0-1,4-5", 10) is None
    assert parse_range("items=0-1", 10) is None
    assert parse_range("bytes=-", 10) is None


def test_absent_key_is_a_404_with_s3_xml(client: httpx.Client) -> None:
    key = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-1999-01-01.zip"
    response = client.get(f"/{key}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/xml"
    error = ET.fromstring(response.content)
    assert error.tag == "Error"
    assert error.findtext("Code") == "NoSuchKey"
    assert error.findtext("Key") == key


def test_folder_path_is_a_404(client: httpx.Client) -> None:
    assert client.get("/data/spot/").status_code == 404
    assert client.head("/data/spot/daily/klines/BTCUSDT/1d/").status_code == 404


def test_keep_alive_serves_many_small_requests_on_one_connection(client: httpx.Client) -> None:
    started = time.perf_counter()
    for _ in range(200):
        assert client.head(f"/{ZIP_KEY}").status_code == 200
        assert client.get(f"/{ZIP_KEY}.CHECKSUM").status_code == 200
    elapsed = time.perf_counter() - started
    assert elapsed < 4.0, f"400 small requests took {elapsed:.2f}s"


def test_big_zip_is_served_fast_and_exactly(client: httpx.Client, content: MemoryContent) -> None:
    digest = hashlib.sha256()
    started = time.perf_counter()
    with client.stream("GET", f"/{BIG_KEY}") as response:
        for block in response.iter_raw(1 << 20):
            digest.update(block)
    elapsed = time.perf_counter() - started
    assert digest.hexdigest() == hashlib.sha256(content.files[BIG_KEY]).hexdigest()
    assert elapsed < 5.0, f"64 MiB took {elapsed:.2f}s"


def test_stats_endpoint_counts_requests(client: httpx.Client) -> None:
    before = client.get("/_stats").json()["requests"]
    client.head(f"/{ZIP_KEY}")
    after = client.get("/_stats").json()
    assert after["requests"] == before + 2
    assert after["faults"] == {}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_downloads_and_lists(mirror: MirrorServer, content: MemoryContent) -> None:
    out = subprocess.run(
        ["curl", "-sf", f"{mirror.base_url}/{ZIP_KEY}"], capture_output=True, check=True, timeout=30
    ).stdout
    assert out == content.files[ZIP_KEY]
    listing = subprocess.run(
        ["curl", "-sf", f"{mirror.base_url}/?prefix=data/spot/&delimiter=/"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    assert b"<Prefix>data/spot/daily/</Prefix>" in listing
    missing = subprocess.run(
        ["curl", "-sf", f"{mirror.base_url}/data/nope.zip"], check=False, timeout=30
    )
    assert missing.returncode == 22


def test_stop_closes_idle_keep_alive_connections(content: MemoryContent) -> None:
    with httpx.Client(timeout=2.0) as http:
        with run_mirror(content) as server:
            url = f"{server.base_url}/{ZIP_KEY}.CHECKSUM"
            assert http.get(url).status_code == 200
            assert server.stats().requests == 1
        started = time.perf_counter()
        with pytest.raises(httpx.TransportError):
            http.get(url)
        assert time.perf_counter() - started < 2.0
