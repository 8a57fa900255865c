"""Starting the decoders' fork server, cheaply and as early as possible.

Decode workers fork from multiprocessing's fork server, which imports what decoding needs
(:data:`PRELOAD_MODULES`: pyarrow above all, about 0.1 s) once, in its own process. The
sooner it starts, the sooner the first worker can decode, so ``python -m marketlake ingest``
starts it before importing its own command line. This module therefore imports nothing but
``multiprocessing``: importing :mod:`marketlake.ingest.pool` (asyncio, the catalog) first
delayed the server by 0.1 s, all of it on the way to the first decoded byte.
"""

from __future__ import annotations

import multiprocessing

CONTEXT = "forkserver"
"""The multiprocessing start method of the decode pool."""

PRELOAD_MODULES = ("marketlake.ingest.preload",)
"""What a worker needs, imported once by the fork server so that workers start warm:
:mod:`marketlake.ingest.preload` imports the decoder (pyarrow without numpy)."""


def start_forkserver() -> None:
    """Start the fork server now, preloading the decoder, unless it already runs.

    Returns at once: the server imports pyarrow in its own process while this one goes on.
    ``__main__`` is preloaded too: run as the console script, the main module is that script,
    which every worker would otherwise import for itself (it imports only
    :mod:`marketlake._entry`).
    """
    from multiprocessing import forkserver

    multiprocessing.get_context(CONTEXT).set_forkserver_preload(["__main__", *PRELOAD_MODULES])
    forkserver.ensure_running()
