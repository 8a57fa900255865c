"""The generated archive served over real HTTP: boto3 paging, checksums, overlay on top."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from marketlake.catalog import ArchiveKey, parse_checksum
from marketlake.mirror import MirrorServer, run_mirror
from marketlake.mirror.generate import GeneratedArchive
from marketlake.mirror.listing import iter_keys
from tests.mirror.server_support import SAMPLES, http

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "data.binance.vision"
DAILY_1D = "data/spot/daily/klines/BTCUSDT/1d/"
EARLY = date(2019, 3, 1)  # BTCUSDT/1d/ then holds ~1200 keys: more than one page, quickly
RECENT = date(2026, 6, 30)
ODD_SYMBOL = "币安人生USDT"
SAMPLE_ZIP = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"


def _s3(mirror: MirrorServer) -> S3Client:
    config = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"})
    return boto3.client(
        "s3", endpoint_url=mirror.base_url, config=config, region_name="ap-northeast-1"
    )


@pytest.fixture(scope="module")
def early_mirror() -> Iterator[MirrorServer]:
    with run_mirror(seed=5, now=EARLY) as mirror:
        yield mirror


@pytest.fixture(scope="module")
def recent_mirror() -> Iterator[MirrorServer]:
    with run_mirror(seed=5, now=RECENT, overlay=SAMPLES) as mirror:
        yield mirror


def test_boto3_pages_through_a_generated_folder_once(early_mirror: MirrorServer) -> None:
    expected = list(iter_keys(GeneratedArchive(seed=5, now=EARLY), DAILY_1D))
    pages = list(
        _s3(early_mirror).get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix=DAILY_1D)
    )
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert len(pages) == 2
    assert len(keys) > 1000
    assert keys == expected
    assert len(set(keys)) == len(keys)
    assert {ArchiveKey.parse(key).symbol for key in keys} == {"BTCUSDT"}


def test_generated_zip_matches_its_checksum_and_listing(early_mirror: MirrorServer) -> None:
    key = f"{DAILY_1D}BTCUSDT-1d-2018-01-01.zip"
    listed = _s3(early_mirror).list_objects(Bucket=BUCKET, Prefix=key)["Contents"]
    body = http().get(f"{early_mirror.base_url}/{key}")
    checksum = http().get(f"{early_mirror.base_url}/{key}.CHECKSUM").text
    assert parse_checksum(checksum) == (
        hashlib.sha256(body.content).hexdigest(),
        key.rsplit("/", maxsplit=1)[-1],
    )
    assert listed[0]["Size"] == len(body.content)
    assert listed[0]["ETag"] == body.headers["etag"] == f'"{hashlib.md5(body.content).hexdigest()}"'


def test_generated_non_ascii_symbols_list_and_download(recent_mirror: MirrorServer) -> None:
    s3 = _s3(recent_mirror)
    folders = s3.list_objects(Bucket=BUCKET, Prefix="data/spot/daily/klines/", Delimiter="/")
    symbols = [p["Prefix"] for p in folders["CommonPrefixes"]]
    assert f"data/spot/daily/klines/{ODD_SYMBOL}/" in symbols
    prefix = f"data/spot/daily/klines/{ODD_SYMBOL}/1d/"
    first = s3.list_objects(Bucket=BUCKET, Prefix=prefix, MaxKeys=1)["Contents"][0]["Key"]
    response = http().get(f"{recent_mirror.base_url}/{quote(first)}")
    assert response.status_code == 200
    assert len(response.content) == s3.head_object(Bucket=BUCKET, Key=first)["ContentLength"]


def test_overlay_files_win_over_generated_ones(recent_mirror: MirrorServer) -> None:
    generated = GeneratedArchive(seed=5, now=RECENT).read(SAMPLE_ZIP)
    served = http().get(f"{recent_mirror.base_url}/{SAMPLE_ZIP}").content
    assert served == (SAMPLES / SAMPLE_ZIP).read_bytes()
    assert served != generated
    prefix = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-0"
    listed = [
        item["Key"]
        for page in _s3(recent_mirror)
        .get_paginator("list_objects")
        .paginate(Bucket=BUCKET, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    days = [f"2020-01-0{day}" for day in range(1, 10)]
    base = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-"
    assert listed == [f"{base}{day}.zip{suffix}" for day in days for suffix in ("", ".CHECKSUM")]


def test_cli_serves_the_generated_archive() -> None:
    cli = Path(sys.executable).parent / "marketlake"
    command = [str(cli), "mirror", "serve", "--seed", "5", "--now", EARLY.isoformat(), "--no-big"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        key = f"{DAILY_1D}BTCUSDT-1d-2018-01-01.zip"
        served = http().get(f"{base_url}/{key}").content
        assert served == GeneratedArchive(seed=5, now=EARLY).read(key)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
