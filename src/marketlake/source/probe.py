"""Cheap questions to the bucket: the first archive file of a folder, the next one after a key.

A whole folder listing sizes every file it returns (and a symbol's folder can hold thousands);
S3 lists keys in lexicographic order, which for archive names is date order, so one small
page (``max-keys``) after a ``marker`` answers "when does this symbol start" and "is there
any file after this day" in one request each.
"""

from __future__ import annotations

from urllib.parse import quote

from marketlake.catalog import ArchiveKey
from marketlake.errors import ArchiveKeyError
from marketlake.source._s3xml import parse_listing_page
from marketlake.source.http import ArchiveClient

PROBE_KEYS = 4
"""Keys asked per probe: enough to skip a CHECKSUM sibling and reach a zip."""


async def first_zip_after(
    client: ArchiveClient, folder: str, after: str | None = None
) -> ArchiveKey | None:
    """The first archive zip in ``folder`` whose key sorts after ``after`` (None: the first)."""
    url = f"{client.config.listing_url}?prefix={quote(folder, safe='/')}&max-keys={PROBE_KEYS}"
    if after is not None:
        url += f"&marker={quote(after, safe='/')}"
    marker = after
    while True:
        page = parse_listing_page(await client.get(url), url=url)
        for file in page.files:
            if file.key.endswith(".zip"):
                try:
                    return ArchiveKey.parse(file.key)
                except ArchiveKeyError:
                    continue
        if not page.is_truncated or not page.files:
            return None
        next_marker = page.marker_after()
        if next_marker is None or (marker is not None and next_marker <= marker):
            return None
        marker = next_marker
        url = url.split("&marker=", 1)[0] + f"&marker={quote(next_marker, safe='/')}"
