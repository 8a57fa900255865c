"""Waiting for the signal that stops a long-running command (``serve``, ``mirror serve``)."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def wait_for_stop_signal() -> None:
    """Block until SIGINT or SIGTERM (the signal handlers before are restored after)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
