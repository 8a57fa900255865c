"""Parsing ListObjects v1 pages: namespace, folders vs files, the Prefix echo, markers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketlake.errors import SourceError
from marketlake.source._s3xml import ListingPage, parse_listing_page

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def page_xml(
    entries: str, *, truncated: bool = False, next_marker: str = "", ns: bool = True
) -> bytes:
    xmlns = f' xmlns="{NS}"' if ns else ""
    marker = f"<NextMarker>{next_marker}</NextMarker>" if next_marker else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult{xmlns}>'
        "<Name>data.binance.vision</Name><Prefix>data/spot/daily/klines/</Prefix>"
        "<Marker></Marker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{marker}{entries}"
        "</ListBucketResult>"
    ).encode()


def contents(key: str, size: int = 91, etag: str = "abc123") -> str:
    return (
        f"<Contents><Key>{key}</Key><LastModified>2023-04-16T09:34:12.000Z</LastModified>"
        f"<ETag>&quot;{etag}&quot;</ETag><Size>{size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
    )


def folder(prefix: str) -> str:
    return f"<CommonPrefixes><Prefix>{prefix}</Prefix></CommonPrefixes>"


def test_files_and_folders_are_told_apart_and_the_prefix_echo_is_not_a_folder() -> None:
    body = page_xml(
        folder("data/spot/daily/klines/ADABTC/")
        + folder("data/spot/daily/klines/BTCUSDT/")
        + contents("data/spot/daily/klines/README.txt", size=12, etag="e1")
    )
    page = parse_listing_page(body)
    assert page.folders == ("data/spot/daily/klines/ADABTC/", "data/spot/daily/klines/BTCUSDT/")
    assert len(page.files) == 1
    file = page.files[0]
    assert file.key == "data/spot/daily/klines/README.txt"
    assert file.name == "README.txt"
    assert file.size == 12
    assert file.etag == "e1"
    assert file.last_modified == datetime(2023, 4, 16, 9, 34, 12, tzinfo=UTC)
    assert file.last_modified.utcoffset() is not None
    assert page.is_truncated is False
    assert page.next_marker is None


def test_a_missing_namespace_is_tolerated() -> None:
    with_ns = parse_listing_page(page_xml(contents("data/a.zip") + folder("data/b/")))
    without_ns = parse_listing_page(page_xml(contents("data/a.zip") + folder("data/b/"), ns=False))
    assert with_ns == without_ns
    assert without_ns.files[0].key == "data/a.zip"


def test_non_ascii_keys_are_returned_as_text() -> None:
    key = "data/spot/daily/klines/币安人生USDT/1m/币安人生USDT-1m-2025-10-01.zip"
    page = parse_listing_page(page_xml(contents(key) + folder("data/spot/daily/klines/龙虾USDT/")))
    assert page.files[0].key == key
    assert page.folders == ("data/spot/daily/klines/龙虾USDT/",)


def test_next_marker_wins_when_present() -> None:
    page = parse_listing_page(
        page_xml(contents("data/a.zip"), truncated=True, next_marker="data/z")
    )
    assert page.is_truncated
    assert page.marker_after() == "data/z"


def test_without_next_marker_the_last_key_or_folder_is_the_marker() -> None:
    only_keys = parse_listing_page(
        page_xml(contents("data/a.zip") + contents("data/b.zip"), truncated=True)
    )
    assert only_keys.marker_after() == "data/b.zip"
    only_folders = parse_listing_page(
        page_xml(folder("data/a/") + folder("data/c/"), truncated=True)
    )
    assert only_folders.marker_after() == "data/c/"
    mixed = parse_listing_page(page_xml(contents("data/a.zip") + folder("data/b/"), truncated=True))
    assert mixed.marker_after() == "data/b/"
    assert ListingPage((), (), True, None).marker_after() is None


def test_a_utc_offset_time_is_normalised_to_utc() -> None:
    body = page_xml(contents("data/a.zip")).replace(
        b"2023-04-16T09:34:12.000Z", b"2023-04-16T11:34:12+02:00"
    )
    assert parse_listing_page(body).files[0].last_modified == datetime(
        2023, 4, 16, 9, 34, 12, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"not xml at all",
        page_xml("<Contents><Key>data/a.zip</Key></Contents>"),
        page_xml(contents("data/a.zip").replace("<Size>91</Size>", "<Size>big</Size>")),
    ],
)
def test_an_unreadable_answer_is_a_source_error(body: bytes) -> None:
    with pytest.raises(SourceError) as info:
        parse_listing_page(body, url="http://127.0.0.1/x")
    assert info.value.url == "http://127.0.0.1/x"
    assert not info.value.transient


def _owner(entry: str) -> str:
    """``entry`` with a nested ``Owner`` (as some S3 servers send)."""
    return entry.replace(
        "</Contents>", "<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner></Contents>"
    )


KEYS = ("data/spot/daily/klines/A&B/a.zip", "data/spot/daily/klines/币安人生USDT/b.zip")


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda e: e, id="plain"),
        pytest.param(_owner, id="nested-owner"),
        pytest.param(lambda e: e.replace("><", ">\n  <"), id="pretty-printed"),
        pytest.param(lambda e: e + "<!-- a comment -->", id="comment"),
        pytest.param(
            lambda e: (
                e.replace("<Key>", "<Key><![CDATA[")
                .replace("</Key>", "]]></Key>")
                .replace("&amp;", "&")
            ),
            id="cdata",
        ),
    ],
)
def test_every_shape_of_entry_reads_the_same(shape: object) -> None:
    """Keys with entities and non-ASCII text, ETags, sizes and times come out the same
    whatever the entries' shape (nested elements, whitespace, comments, CDATA)."""
    assert callable(shape)
    entries = [
        contents(KEYS[0].replace("&", "&amp;"), size=12, etag="e&#49;"),
        contents(KEYS[1], size=34, etag="e2"),
    ]
    body = page_xml(folder("data/spot/daily/klines/C/") + "".join(shape(e) for e in entries))
    page = parse_listing_page(body)
    assert [f.key for f in page.files] == list(KEYS)
    assert [(f.size, f.etag) for f in page.files] == [(12, "e1"), (34, "e2")]
    assert {f.last_modified for f in page.files} == {datetime(2023, 4, 16, 9, 34, 12, tzinfo=UTC)}
    assert page.folders == ("data/spot/daily/klines/C/",)


@pytest.mark.parametrize(
    "entry",
    [
        contents("data/a&b.zip"),  # a bare & is not XML
        contents("data/a&nbsp;b.zip"),  # nor is an HTML entity
        contents("data/a.zip") + "<Contents><Key>data/b.zip</Key>",  # unclosed
    ],
)
def test_malformed_entries_are_refused_not_read_leniently(entry: str) -> None:
    with pytest.raises(SourceError):
        parse_listing_page(page_xml(entry))
