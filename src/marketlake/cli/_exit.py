"""Ending the process quickly once a command is done (``marketlake ingest``; see
:mod:`marketlake._entry`)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn


def exit_at_once(main: Callable[[], object]) -> NoReturn:
    """Run ``main``, then end the process without the interpreter's module-by-module teardown.

    Exit handlers (``atexit``) still run and output is flushed, as at a normal exit; only the
    final teardown is skipped. The exit code is the one ``main`` exited with. When a thread
    other than daemons is still running, the process exits the normal way instead.
    """
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = _exit_code(stop.code)
    if _other_threads_running():
        raise SystemExit(code)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is not None:
        run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """The process exit code of ``SystemExit(code)``, as Python itself would make it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _other_threads_running() -> bool:
    current = threading.current_thread()
    return any(t is not current and not t.daemon and t.is_alive() for t in threading.enumerate())
