"""``marketlake demo``: the main job, offline, against the bundled stand-in."""

from __future__ import annotations


def demo() -> None:
    """Start the stand-in, ingest a few days into ./marketlake-demo, print a summary."""
    raise NotImplementedError
