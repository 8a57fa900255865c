"""Parse one page of an S3 ListObjects (v1) answer: ``ListBucketResult``.

The namespace ``http://s3.amazonaws.com/doc/2006-03-01/`` is expected but not required.
The root's own ``Prefix`` is an echo of the request, not a folder: folders are the
``CommonPrefixes/Prefix`` elements.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from marketlake.errors import SourceError
from marketlake.source._models import RemoteFile

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing and where the next page starts."""

    files: tuple[RemoteFile, ...]
    folders: tuple[str, ...]
    is_truncated: bool
    next_marker: str | None

    def marker_after(self) -> str | None:
        """The marker of the next page: NextMarker, else the last key, else the last folder."""
        if self.next_marker:
            return self.next_marker
        last_key = self.files[-1].key if self.files else None
        last_folder = self.folders[-1] if self.folders else None
        candidates = [k for k in (last_key, last_folder) if k is not None]
        return max(candidates) if candidates else None


def parse_listing_page(body: bytes, *, url: str | None = None) -> ListingPage:
    """A :class:`ListingPage` from the XML bytes of a ListObjects answer."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(f"listing is not XML ({exc}): {body[:120]!r}", url=url) from exc
    if _local(root.tag) != "ListBucketResult":
        raise SourceError(
            f"listing answer is a {_local(root.tag)!r}, not ListBucketResult", url=url
        )
    files: list[RemoteFile] = []
    folders: list[str] = []
    truncated, next_marker = False, None
    for child in root:
        tag = _local(child.tag)
        if tag == "Contents":
            files.append(_remote_file(child, url))
        elif tag == "CommonPrefixes":
            folders.extend(_text(sub) for sub in child if _local(sub.tag) == "Prefix")
        elif tag == "IsTruncated":
            truncated = _text(child).strip().lower() == "true"
        elif tag == "NextMarker":
            next_marker = _text(child) or None
    return ListingPage(tuple(files), tuple(folders), truncated, next_marker)


def _remote_file(element: ET.Element, url: str | None) -> RemoteFile:
    fields = {_local(sub.tag): sub.text or "" for sub in element}
    try:
        return RemoteFile(
            key=fields["Key"],
            size=int(fields["Size"]),
            etag=fields.get("ETag", "").strip('"'),
            last_modified=_utc(fields["LastModified"]),
        )
    except (KeyError, ValueError) as exc:
        raise SourceError(f"listing entry cannot be read ({exc!r}): {fields}", url=url) from exc


@functools.lru_cache(maxsize=4096)  # a listing's files share few distinct times
def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@functools.lru_cache(maxsize=64)  # a handful of distinct tags, each seen thousands of times
def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: ET.Element) -> str:
    return element.text or ""
