"""The S3 ListObjects answer of the stand-in: parse the query, walk the tree, render XML.

The bucket answers ``GET /data.binance.vision?prefix=&delimiter=&marker=&max-keys=`` with a
``ListBucketResult`` page of at most 1000 entries (keys and common prefixes together), in
lexicographic order, starting strictly after ``marker``. ListObjectsV2 (``list-type=2``,
``continuation-token``, ``start-after``; what ``aws s3 ls`` sends) is answered too, with an
opaque token that encodes the last entry of the previous page. The walk over an
:class:`~marketlake.mirror.content.ArchiveContent` is lazy and depth-first: it skips whole
folders that sort before the marker, never materialises the tree, and stats only the keys
of the page it returns.
"""

from __future__ import annotations

import functools
import re
from base64 import b64decode, urlsafe_b64encode
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import parse_qs, quote_plus
from xml.sax.saxutils import escape

from marketlake.errors import MirrorError
from marketlake.mirror.content import ArchiveContent, ObjectInfo

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
BUCKET = "data.binance.vision"
MAX_KEYS = 1000
FOLDER_DELIMITER = "/"
_QUOTE_ENTITY = {'"': "&quot;"}
_NEEDS_ESCAPE = re.compile('[&<>"]')


@dataclass(frozen=True)
class ListRequest:
    """The parameters of one ListObjects request, already percent-decoded.

    ``marker`` is where the page starts (exclusive) in both versions: v1's ``marker``, or
    v2's decoded ``continuation-token``, else its ``start-after``.
    """

    prefix: str = ""
    delimiter: str = ""
    marker: str = ""
    max_keys: int = MAX_KEYS
    url_encoded: bool = False
    version: int = 1
    continuation_token: str = ""
    start_after: str = ""

    @classmethod
    def from_query(cls, query: str) -> ListRequest:
        """A request from a raw URL query string (``prefix=data%2F&delimiter=%2F``)."""
        params = parse_qs(query, keep_blank_values=True)

        def first(name: str) -> str:
            return params.get(name, [""])[0]

        encoding = first("encoding-type")
        if encoding not in ("", "url"):
            raise MirrorError(f"invalid encoding-type {encoding!r}: only 'url' is supported")
        version = 2 if first("list-type") == "2" else 1
        token, start_after = first("continuation-token"), first("start-after")
        marker = first("marker")
        if version == 2:
            marker = decode_token(token) if token else start_after
        return cls(
            prefix=first("prefix"),
            delimiter=first("delimiter"),
            marker=marker,
            max_keys=_parse_max_keys(first("max-keys")),
            url_encoded=encoding == "url",
            version=version,
            continuation_token=token,
            start_after=start_after,
        )


@dataclass(frozen=True)
class ListPage:
    """One page of a listing: objects, folders, and the last entry when more follow."""

    contents: tuple[ObjectInfo, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    last_entry: str | None


def encode_token(name: str) -> str:
    """The opaque ListObjectsV2 continuation token that resumes after ``name``."""
    return urlsafe_b64encode(name.encode()).decode()


def decode_token(token: str) -> str:
    """The entry name a continuation token resumes after."""
    try:
        return b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeError):
        raise MirrorError("the continuation token provided is incorrect") from None


def _parse_max_keys(text: str) -> int:
    if text == "":
        return MAX_KEYS
    try:
        value = int(text)
    except ValueError:
        raise MirrorError(f"max-keys must be an integer, got {text!r}") from None
    if value < 0:
        raise MirrorError(f"max-keys must not be negative, got {value}")
    return min(value, MAX_KEYS)


def list_page(content: ArchiveContent, request: ListRequest) -> ListPage:
    """The page of ``content`` that ``request`` asks for."""
    entries = iter_entries(content, request.prefix, request.delimiter, request.marker)
    page = list(islice(entries, request.max_keys))
    truncated = request.max_keys > 0 and next(entries, None) is not None
    contents = tuple(_stat_all(content, [name for name, is_folder in page if not is_folder]))
    common_prefixes = tuple(name for name, is_folder in page if is_folder)
    last_entry = page[-1][0] if truncated and page else None
    return ListPage(contents, common_prefixes, truncated, last_entry)


def _stat_all(content: ArchiveContent, keys: list[str]) -> Iterator[ObjectInfo]:
    for key in keys:
        info = content.stat(key)
        if info is not None:
            yield info


def iter_entries(
    content: ArchiveContent, prefix: str, delimiter: str, marker: str
) -> Iterator[tuple[str, bool]]:
    """``(name, is_common_prefix)`` after ``marker`` under ``prefix``, in S3 order."""
    if delimiter == FOLDER_DELIMITER:
        return _folder_entries(content, prefix, marker)
    keys = iter_keys(content, prefix, marker)
    if not delimiter:
        return ((key, False) for key in keys)
    return _rolled_up(keys, prefix, delimiter, marker)


def iter_keys(content: ArchiveContent, prefix: str, marker: str = "") -> Iterator[str]:
    """Every key starting with ``prefix`` and sorting after ``marker``, lazily, in order."""
    return _walk(content, _folder_of(prefix), prefix, marker)


def _walk(content: ArchiveContent, folder: str, prefix: str, marker: str) -> Iterator[str]:
    for child in _candidates(content, folder, prefix, marker):
        if child.endswith("/"):
            yield from _walk(content, child, prefix, marker)
        elif child > marker:
            yield child


def _folder_entries(
    content: ArchiveContent, prefix: str, marker: str
) -> Iterator[tuple[str, bool]]:
    for child in _candidates(content, _folder_of(prefix), prefix, marker):
        if child > marker:
            yield child, child.endswith("/")


def _rolled_up(
    keys: Iterator[str], prefix: str, delimiter: str, marker: str
) -> Iterator[tuple[str, bool]]:
    last_common = None
    for key in keys:
        cut = key.find(delimiter, len(prefix))
        if cut < 0:
            yield key, False
            continue
        common = key[: cut + len(delimiter)]
        if common != last_common and common > marker:
            yield common, True
        last_common = common


def _candidates(content: ArchiveContent, folder: str, prefix: str, marker: str) -> Iterator[str]:
    """Children of ``folder`` that may hold keys under ``prefix`` after ``marker``, in order.

    Starts by bisection at the first child not before the prefix and the marker (stepping
    back one when that child is the folder holding the marker) and stops at the first
    child past the prefix.
    """
    children = content.children(folder)
    start = bisect_left(children, max(prefix, marker))
    if start > 0 and _holds(children[start - 1], marker):
        start -= 1
    for index in range(start, len(children)):
        child = children[index]
        if not child.startswith(prefix):
            if child > prefix:
                return
            continue
        yield child


def _holds(child: str, marker: str) -> bool:
    return child.endswith("/") and marker.startswith(child)


def _folder_of(prefix: str) -> str:
    return prefix[: prefix.rfind("/") + 1]


def render_listing(request: ListRequest, page: ListPage, bucket: str = BUCKET) -> bytes:
    """The ``ListBucketResult`` XML document of ``page``, as S3 writes it."""
    encode = _url_encode if request.url_encoded else _identity
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<ListBucketResult xmlns="{S3_NAMESPACE}">',
        _element("Name", bucket),
        _element("Prefix", encode(request.prefix)),
    ]
    head = _v2_head if request.version == 2 else _v1_head
    parts.extend(head(request, page, encode))
    parts.extend(_contents_element(info, encode(info.key)) for info in page.contents)
    parts.extend(
        f"<CommonPrefixes>{_element('Prefix', encode(name))}</CommonPrefixes>"
        for name in page.common_prefixes
    )
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def _v1_head(request: ListRequest, page: ListPage, encode: Callable[[str], str]) -> list[str]:
    parts = [_element("Marker", encode(request.marker))]
    if page.last_entry is not None and request.delimiter:
        parts.append(_element("NextMarker", encode(page.last_entry)))
    return [*parts, *_common_head(request, encode), _truncated(page)]


def _v2_head(request: ListRequest, page: ListPage, encode: Callable[[str], str]) -> list[str]:
    parts = []
    if request.continuation_token:
        parts.append(_element("ContinuationToken", request.continuation_token))
    if request.start_after:
        parts.append(_element("StartAfter", encode(request.start_after)))
    parts.append(_element("KeyCount", str(len(page.contents) + len(page.common_prefixes))))
    parts.extend([*_common_head(request, encode), _truncated(page)])
    if page.last_entry is not None:
        parts.append(_element("NextContinuationToken", encode_token(page.last_entry)))
    return parts


def _common_head(request: ListRequest, encode: Callable[[str], str]) -> list[str]:
    parts = [_element("MaxKeys", str(request.max_keys))]
    if request.delimiter:
        parts.append(_element("Delimiter", encode(request.delimiter)))
    if request.url_encoded:
        parts.append(_element("EncodingType", "url"))
    return parts


def _truncated(page: ListPage) -> str:
    return _element("IsTruncated", "true" if page.is_truncated else "false")


def _contents_element(info: ObjectInfo, key: str) -> str:
    return (
        "<Contents>"
        + _element("Key", key)
        + _element("LastModified", iso_timestamp(info.last_modified))
        + _element("ETag", f'"{info.etag}"')
        + _element("Size", str(info.size))
        + _element("StorageClass", "STANDARD")
        + "</Contents>"
    )


@functools.lru_cache(maxsize=4096)  # listed files share few distinct times: format each once
def iso_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as S3 listings show ``LastModified``."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _element(tag: str, text: str) -> str:
    if _NEEDS_ESCAPE.search(text):
        text = escape(text, _QUOTE_ENTITY)
    return f"<{tag}>{text}</{tag}>"


def _url_encode(text: str) -> str:
    return quote_plus(text, safe="/")


def _identity(text: str) -> str:
    return text
