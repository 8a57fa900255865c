"""ListObjects v1 over real HTTP: XML shape, paging, delimiters, markers, encodings, boto3."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote_plus

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from marketlake.mirror import MirrorServer, run_mirror
from marketlake.mirror.listing import ListRequest, iter_keys, list_page
from tests.mirror.server_support import MemoryContent, archive_pair, daily_klines, day_names, http

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
BIG_FOLDER = "data/spot/daily/klines/BTCUSDT/1d/"
ODD_SYMBOL = "币安人生USDT"
ODD_KEY = f"data/spot/daily/klines/{ODD_SYMBOL}/1d/{ODD_SYMBOL}-1d-2025-10-01.zip"
DAYS = day_names(700)  # 1400 keys in BIG_FOLDER


def _tree() -> MemoryContent:
    files = daily_klines("BTCUSDT", DAYS)
    files |= daily_klines("ETHUSDT", DAYS[:3])
    files |= daily_klines("BTCUSDT", DAYS[:2], interval="1h")
    files |= archive_pair(ODD_KEY, "1,2,3\n")
    files |= archive_pair("data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip", "x")
    return MemoryContent(files)


@pytest.fixture(scope="module")
def content() -> MemoryContent:
    return _tree()


@pytest.fixture(scope="module")
def mirror(content: MemoryContent) -> Iterator[MirrorServer]:
    with run_mirror(content) as server:
        yield server


@pytest.fixture(scope="module")
def s3(mirror: MirrorServer) -> S3Client:
    config = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"})
    return boto3.client(
        "s3", endpoint_url=mirror.base_url, config=config, region_name="ap-northeast-1"
    )


def _get_xml(mirror: MirrorServer, path: str, **params: str) -> ET.Element:
    response = http().get(mirror.base_url + path, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    return ET.fromstring(response.content)


def _texts(root: ET.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.findall(path, NS)]


def test_delimited_listing_has_the_s3_shape(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/data.binance.vision", prefix="data/spot/daily/klines/", delimiter="/")
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}ListBucketResult"
    assert _texts(root, "s3:Name") == ["data.binance.vision"]
    assert _texts(root, "s3:Prefix") == ["data/spot/daily/klines/"]
    assert _texts(root, "s3:Marker") == [""]
    assert _texts(root, "s3:MaxKeys") == ["1000"]
    assert _texts(root, "s3:Delimiter") == ["/"]
    assert _texts(root, "s3:IsTruncated") == ["false"]
    assert root.find("s3:NextMarker", NS) is None
    assert root.find("s3:Contents", NS) is None
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == [
        "data/spot/daily/klines/BTCUSDT/",
        "data/spot/daily/klines/ETHUSDT/",
        f"data/spot/daily/klines/{ODD_SYMBOL}/",
    ]


def test_contents_carry_key_date_etag_size_class(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/", prefix="data/spot/daily/klines/ETHUSDT/1d/", delimiter="/")
    contents = root.findall("s3:Contents", NS)
    keys = [c.findtext("s3:Key", namespaces=NS) for c in contents]
    assert keys == [
        f"data/spot/daily/klines/ETHUSDT/1d/ETHUSDT-1d-{day}.zip{suffix}"
        for day in DAYS[:3]
        for suffix in ("", ".CHECKSUM")
    ]
    first = contents[0]
    assert first.findtext("s3:LastModified", namespaces=NS) == "2024-01-02T03:04:05.678Z"
    etag = first.findtext("s3:ETag", namespaces=NS) or ""
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert first.findtext("s3:StorageClass", namespaces=NS) == "STANDARD"
    size = int(first.findtext("s3:Size", namespaces=NS) or "0")
    assert size == len(http().get(f"{mirror.base_url}/{keys[0]}").content)


def test_etag_is_escaped_with_quot_entities(mirror: MirrorServer) -> None:
    raw = http().get(mirror.base_url + "/", params={"prefix": "data/spot/daily/klines/ETH"}).text
    assert "<ETag>&quot;" in raw and "&quot;</ETag>" in raw


def test_truncated_delimited_page_gives_next_marker(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/data.binance.vision", prefix=BIG_FOLDER, delimiter="/")
    keys = _texts(root, "s3:Contents/s3:Key")
    assert len(keys) == 1000
    assert _texts(root, "s3:IsTruncated") == ["true"]
    assert _texts(root, "s3:NextMarker") == [keys[-1]]
    assert keys == sorted(keys)


def test_truncated_recursive_page_has_no_next_marker(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/", prefix="data/spot/", **{"max-keys": "5"})
    assert _texts(root, "s3:IsTruncated") == ["true"]
    assert root.find("s3:NextMarker", NS) is None
    assert root.find("s3:Delimiter", NS) is None
    assert _texts(root, "s3:MaxKeys") == ["5"]
    assert len(_texts(root, "s3:Contents/s3:Key")) == 5


def test_max_keys_is_capped_at_1000(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/", prefix=BIG_FOLDER, **{"max-keys": "5000"})
    assert _texts(root, "s3:MaxKeys") == ["1000"]
    assert len(_texts(root, "s3:Contents/s3:Key")) == 1000


def test_bad_max_keys_is_a_400(mirror: MirrorServer) -> None:
    response = http().get(mirror.base_url + "/", params={"max-keys": "many"})
    assert response.status_code == 400
    assert b"<Code>InvalidArgument</Code>" in response.content


def test_marker_is_exclusive_and_pages_join_up(mirror: MirrorServer) -> None:
    first = _get_xml(mirror, "/", prefix=BIG_FOLDER, delimiter="/", **{"max-keys": "3"})
    marker = _texts(first, "s3:NextMarker")[0]
    second = _get_xml(mirror, "/", prefix=BIG_FOLDER, marker=marker, **{"max-keys": "3"})
    assert _texts(second, "s3:Marker") == [marker]
    both = _texts(first, "s3:Contents/s3:Key") + _texts(second, "s3:Contents/s3:Key")
    expected = sorted(k for k in _tree().files if k.startswith(BIG_FOLDER))[:6]
    assert both == expected


def test_marker_on_a_common_prefix_skips_that_folder(mirror: MirrorServer) -> None:
    root = _get_xml(
        mirror,
        "/",
        prefix="data/spot/daily/klines/",
        delimiter="/",
        marker="data/spot/daily/klines/BTCUSDT/",
    )
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == [
        "data/spot/daily/klines/ETHUSDT/",
        f"data/spot/daily/klines/{ODD_SYMBOL}/",
    ]


def test_prefix_that_is_not_a_folder_matches_names(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/", prefix="data/spot/daily/klines/E", delimiter="/")
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == ["data/spot/daily/klines/ETHUSDT/"]
    assert _texts(root, "s3:Prefix") == ["data/spot/daily/klines/E"]


def test_non_ascii_prefix_and_keys(mirror: MirrorServer) -> None:
    folder = f"data/spot/daily/klines/{ODD_SYMBOL}/1d/"
    response = http().get(f"{mirror.base_url}/?prefix={quote(folder)}&delimiter=%2F")
    root = ET.fromstring(response.content)
    assert _texts(root, "s3:Contents/s3:Key") == [ODD_KEY, ODD_KEY + ".CHECKSUM"]
    assert _texts(root, "s3:Prefix") == [folder]


def test_url_encoding_type_encodes_names(mirror: MirrorServer) -> None:
    folder = f"data/spot/daily/klines/{ODD_SYMBOL}/"
    root = _get_xml(mirror, "/", prefix=folder, delimiter="/", **{"encoding-type": "url"})
    assert _texts(root, "s3:EncodingType") == ["url"]
    assert _texts(root, "s3:Prefix") == [quote(folder)]
    prefixes = _texts(root, "s3:CommonPrefixes/s3:Prefix")
    assert prefixes == [quote(folder + "1d/")]
    assert "%E5%B8%81" in prefixes[0]
    assert unquote_plus(prefixes[0]) == folder + "1d/"


def test_generic_delimiter_rolls_up_names(mirror: MirrorServer) -> None:
    root = _get_xml(mirror, "/", prefix=BIG_FOLDER, delimiter="-2021")
    prefixes = _texts(root, "s3:CommonPrefixes/s3:Prefix")
    assert prefixes == [f"{BIG_FOLDER}BTCUSDT-1d-2021"]
    keys = _texts(root, "s3:Contents/s3:Key")
    assert all("-2021" not in key for key in keys)
    assert len(keys) == 2 * len([d for d in DAYS if not d.startswith("2021")])


def test_root_listing_head(mirror: MirrorServer) -> None:
    response = http().head(mirror.base_url + "/data.binance.vision/", params={"delimiter": "/"})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""


def test_walk_is_lazy_and_stats_only_returned_keys() -> None:
    content = _tree()
    marker = f"{BIG_FOLDER}BTCUSDT-1d-2021-06-01.zip"
    request = ListRequest(prefix="data/spot/", marker=marker, max_keys=10)
    page = list_page(content, request)
    assert [info.key for info in page.contents] == content.stat_keys
    assert len(content.stat_keys) == 10
    assert content.stat_keys[0] == marker + ".CHECKSUM"
    assert page.is_truncated
    assert "data/spot/daily/klines/ETHUSDT/" not in content.children_folders


def test_walk_skips_subtrees_before_the_marker() -> None:
    content = _tree()
    marker = "data/spot/daily/klines/ETHUSDT/1d/ETHUSDT-1d-2020-01-02.zip"
    keys = list(iter_keys(content, "data/", marker))
    assert BIG_FOLDER not in content.children_folders
    assert keys[0] == marker + ".CHECKSUM"
    expected = sorted(k for k in content.files if k > marker)
    assert keys == expected


def test_walk_yields_every_key_in_order() -> None:
    content = _tree()
    assert list(iter_keys(content, "")) == sorted(content.files)


def test_boto3_paginator_walks_more_than_1000_keys_once(
    s3: S3Client, content: MemoryContent
) -> None:
    paginator = s3.get_paginator("list_objects")
    keys: list[str] = []
    pages = 0
    for page in paginator.paginate(Bucket="data.binance.vision", Prefix=BIG_FOLDER):
        pages += 1
        keys.extend(item["Key"] for item in page.get("Contents", []))
    assert pages == 2
    assert keys == sorted(k for k in content.files if k.startswith(BIG_FOLDER))
    assert len(keys) == len(set(keys)) == 1400


def test_boto3_delimited_pagination_and_folders(s3: S3Client) -> None:
    paginator = s3.get_paginator("list_objects")
    pages = paginator.paginate(
        Bucket="data.binance.vision",
        Prefix="data/spot/daily/klines/BTCUSDT/",
        Delimiter="/",
        PaginationConfig={"PageSize": 1},
    )
    folders = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    assert folders == ["data/spot/daily/klines/BTCUSDT/1d/", "data/spot/daily/klines/BTCUSDT/1h/"]


def test_boto3_non_ascii_listing_and_get(s3: S3Client, content: MemoryContent) -> None:
    listed = s3.list_objects(
        Bucket="data.binance.vision", Prefix=f"data/spot/daily/klines/{ODD_SYMBOL}/", Delimiter="/"
    )
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == [
        f"data/spot/daily/klines/{ODD_SYMBOL}/1d/"
    ]
    body = s3.get_object(Bucket="data.binance.vision", Key=ODD_KEY)["Body"].read()
    assert body == content.files[ODD_KEY]


def test_boto3_get_and_ranged_get(s3: S3Client, content: MemoryContent) -> None:
    key = f"{BIG_FOLDER}BTCUSDT-1d-2020-01-01.zip"
    whole = s3.get_object(Bucket="data.binance.vision", Key=key)
    assert whole["Body"].read() == content.files[key]
    assert whole["ContentLength"] == len(content.files[key])
    assert whole["ContentType"] == "application/zip"
    part = s3.get_object(Bucket="data.binance.vision", Key=key, Range="bytes=10-19")
    assert part["Body"].read() == content.files[key][10:20]
    assert part["ContentRange"] == f"bytes 10-19/{len(content.files[key])}"


def test_boto3_list_objects_v2_paginates_with_tokens(s3: S3Client, content: MemoryContent) -> None:
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket="data.binance.vision", Prefix=BIG_FOLDER))
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert [page["KeyCount"] for page in pages] == [1000, 400]
    assert pages[0].get("NextContinuationToken")
    assert pages[1].get("NextContinuationToken") is None
    assert keys == sorted(k for k in content.files if k.startswith(BIG_FOLDER))


def test_boto3_list_objects_v2_start_after_and_folders(s3: S3Client) -> None:
    start = "data/spot/daily/klines/BTCUSDT/"
    listed = s3.list_objects_v2(
        Bucket="data.binance.vision",
        Prefix="data/spot/daily/klines/",
        Delimiter="/",
        StartAfter=start,
    )
    assert listed["StartAfter"] == start
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == [
        "data/spot/daily/klines/ETHUSDT/",
        f"data/spot/daily/klines/{ODD_SYMBOL}/",
    ]


def test_bad_continuation_token_is_a_400(mirror: MirrorServer) -> None:
    params = {"list-type": "2", "continuation-token": "%%%"}
    response = http().get(mirror.base_url + "/data.binance.vision", params=params)
    assert response.status_code == 400
