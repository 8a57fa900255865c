"""The archive and the exchange as the lake's metadata reads them: one polite client, blocking.

Symbols and gaps ask the bucket listing and the exchange-info endpoint a few small questions;
they run them on a short-lived :class:`~marketlake.source.ArchiveClient` with few retries (a
user is waiting, and an unreachable archive only means answering from the lake alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from marketlake.settings import Settings
from marketlake.source import ArchiveClient, ArchiveListing, SourceConfig

METADATA_RETRIES = 1
METADATA_TIMEOUT_SECONDS = 15.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class Archive:
    """An open client and its listing cache, plus where REST lives."""

    client: ArchiveClient
    listing: ArchiveListing
    rest_url: str | None


def metadata_config(settings: Settings) -> SourceConfig:
    """Source settings for metadata questions: the settings' URLs, one retry, short timeouts."""
    return SourceConfig(
        download_url=settings.download_url,
        listing_url=settings.listing_url,
        concurrency=settings.concurrency,
        max_retries=METADATA_RETRIES,
        timeout_seconds=METADATA_TIMEOUT_SECONDS,
        backoff_base_seconds=0.2,
        backoff_cap_seconds=1.0,
    )


@asynccontextmanager
async def open_archive(settings: Settings) -> AsyncIterator[Archive]:
    """An :class:`Archive` for the duration of a ``async with`` block."""
    async with ArchiveClient(metadata_config(settings)) as client:
        yield Archive(client, ArchiveListing(client), settings.rest_url)


def run_blocking(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run the coroutine ``factory()`` makes to completion, from sync code.

    Inside a running event loop (a notebook), it runs on a fresh loop in a helper thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="marketlake-meta") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()
