"""Overlay of real files and layering over a base, served over real HTTP."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from marketlake.errors import MirrorError
from marketlake.mirror import LayeredContent, OverlayContent, run_mirror
from marketlake.mirror.listing import iter_keys
from tests.mirror.server_support import SAMPLES, MemoryContent, archive_pair, http

NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
SAMPLE_ZIP = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"


def _sample_files() -> list[str]:
    return sorted(
        path.relative_to(SAMPLES).as_posix() for path in SAMPLES.rglob("*") if path.is_file()
    )


def _write(root: Path, key: str, data: bytes) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _keys(base_url: str, prefix: str) -> list[str]:
    response = http().get(base_url + "/", params={"prefix": prefix})
    root = ET.fromstring(response.content)
    return [element.text or "" for element in root.findall("s3:Contents/s3:Key", NS)]


def test_overlay_serves_every_sample_byte_identical() -> None:
    overlay = OverlayContent(SAMPLES)
    with run_mirror(overlay) as mirror, httpx.Client(base_url=mirror.base_url) as http:
        assert _keys(mirror.base_url, "") == _sample_files()
        for key in _sample_files():
            response = http.get("/" + quote(key))
            assert response.status_code == 200
            assert response.content == (SAMPLES / key).read_bytes(), key


def test_overlay_checksums_match_their_zips() -> None:
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        zip_bytes = http().get(f"{mirror.base_url}/{SAMPLE_ZIP}").content
        checksum = http().get(f"{mirror.base_url}/{SAMPLE_ZIP}.CHECKSUM").text
    assert checksum.split("  ") == [
        hashlib.sha256(zip_bytes).hexdigest(),
        "BTCUSDT-1m-2020-01-01.zip",
    ]


def test_overlay_stat_gives_md5_etag_and_mtime(tmp_path: Path) -> None:
    _write(tmp_path, "data/a/b.zip", b"abc")
    info = OverlayContent(tmp_path).stat("data/a/b.zip")
    assert info is not None
    assert info.size == 3
    assert info.etag == hashlib.md5(b"abc").hexdigest()
    assert int(info.last_modified.timestamp()) == int((tmp_path / "data/a/b.zip").stat().st_mtime)


def test_overlay_refuses_paths_outside_and_hidden_files(tmp_path: Path) -> None:
    _write(tmp_path, "inside/x.zip", b"x")
    _write(tmp_path, "inside/.hidden", b"h")
    _write(tmp_path.parent / "outside", "secret.txt", b"s")
    overlay = OverlayContent(tmp_path / "inside")
    assert overlay.read("x.zip") == b"x"
    assert overlay.read(".hidden") is None
    assert overlay.read("../outside/secret.txt") is None
    assert overlay.stat("") is None
    assert overlay.children("") == ["x.zip"]
    assert overlay.children("nope/") == []
    assert overlay.children("x.zip/") == []


def test_overlay_of_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MirrorError, match="not a directory"):
        OverlayContent(tmp_path / "missing")


def test_layered_overlay_wins_and_both_are_listed(tmp_path: Path) -> None:
    shared_key = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01-01.zip"
    base_only = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01-02.zip"
    overlay_only = "data/spot/daily/klines/AAAUSDT/1d/AAAUSDT-1d-2024-01-01.zip"
    base = MemoryContent(archive_pair(shared_key, "base\n") | archive_pair(base_only, "b\n"))
    _write(tmp_path, shared_key, b"real overlay bytes")
    _write(tmp_path, overlay_only, b"only here")
    layered = LayeredContent(OverlayContent(tmp_path), base)
    with run_mirror(layered) as mirror:
        assert http().get(f"{mirror.base_url}/{shared_key}").content == b"real overlay bytes"
        assert http().get(f"{mirror.base_url}/{base_only}").content == base.files[base_only]
        assert http().get(f"{mirror.base_url}/{overlay_only}").content == b"only here"
        listed = _keys(mirror.base_url, "data/")
    expected = sorted({*base.files, overlay_only})
    assert listed == expected
    info = layered.stat(shared_key)
    assert info is not None and info.size == len(b"real overlay bytes")


def test_layered_children_are_merged_without_duplicates(tmp_path: Path) -> None:
    base = MemoryContent({"data/a/1.zip": b"1", "data/c/3.zip": b"3"})
    _write(tmp_path, "data/a/2.zip", b"2")
    _write(tmp_path, "data/b/1.zip", b"1")
    layered = LayeredContent(OverlayContent(tmp_path), base)
    assert layered.children("data/") == ["data/a/", "data/b/", "data/c/"]
    assert layered.children("data/a/") == ["data/a/1.zip", "data/a/2.zip"]
    assert list(iter_keys(layered, "")) == [
        "data/a/1.zip",
        "data/a/2.zip",
        "data/b/1.zip",
        "data/c/3.zip",
    ]


def test_run_mirror_overlay_argument_layers_over_content() -> None:
    base = MemoryContent({"data/x/base.zip": b"base"})
    with run_mirror(base, overlay=SAMPLES) as mirror:
        keys = _keys(mirror.base_url, "")
        assert (
            http().get(f"{mirror.base_url}/{SAMPLE_ZIP}").content
            == (SAMPLES / SAMPLE_ZIP).read_bytes()
        )
    assert keys == sorted([*_sample_files(), "data/x/base.zip"])
