"""Shared helpers of the source tests: the real samples, a stand-in, fast client settings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketlake.catalog import ArchiveKey, format_checksum
from marketlake.mirror import MirrorServer, OverlayContent, run_mirror
from marketlake.source import SourceConfig

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "binance" / "archive"


def sample_keys() -> list[ArchiveKey]:
    """Every real sample zip, as an archive key."""
    zips = sorted(SAMPLES.rglob("*.zip"))
    return [ArchiveKey.parse(path.relative_to(SAMPLES).as_posix()) for path in zips]


def fast_config(url: str, **overrides: object) -> SourceConfig:
    """Mirror settings with millisecond backoff, so retry tests take milliseconds."""
    settings: dict[str, object] = {
        "backoff_base_seconds": 0.001,
        "backoff_cap_seconds": 0.005,
        "timeout_seconds": 5.0,
    }
    settings.update(overrides)
    return SourceConfig.for_mirror(url, **settings)


def write_file(root: Path, key: str, data: bytes, *, checksum: bool = True) -> None:
    """Put ``data`` at ``key`` under ``root``, with a valid CHECKSUM sibling unless told not to."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if checksum:
        digest = hashlib.sha256(data).hexdigest()
        (root / (key + ".CHECKSUM")).write_text(format_checksum(digest, path.name))


@pytest.fixture
def samples_mirror() -> Iterator[MirrorServer]:
    """The stand-in serving the real sample files, without faults."""
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        yield mirror
