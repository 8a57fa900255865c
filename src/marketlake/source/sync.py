"""Blocking helpers for callers without an event loop (the CLI, scripts)."""

from __future__ import annotations

import asyncio

from marketlake.catalog import ArchiveKey
from marketlake.source._models import VerifiedFile
from marketlake.source.config import SourceConfig
from marketlake.source.http import ArchiveClient


def fetch_verified_sync(key: ArchiveKey, config: SourceConfig | None = None) -> VerifiedFile:
    """Download and verify one archive zip, blocking; not for use inside a running event loop."""

    async def run() -> VerifiedFile:
        async with ArchiveClient(config) as client:
            return await client.fetch_verified(key)

    return asyncio.run(run())
