"""The entry point of the ``marketlake`` console script and of ``python -m marketlake``.

It imports almost nothing, because for ``ingest`` (the command a scheduler runs, often with
nothing to do) two things are done around the command line itself:

* the decoders' fork server starts before the command line is even imported, so that pyarrow
  is imported in the server while this process imports and plans (each 0.1 s of imports
  before it is 0.1 s later to the first decoded byte);
* once the run is over and everything it opened is closed, the process exits without
  tearing the interpreter down module by module (that alone took 0.1-0.2 s of every run);
  exit handlers and output buffers still run first.

Run as the console script, this module is also what the fork server imports as the main
module (see :func:`marketlake.ingest.forkserver.start_forkserver`): it must stay light.
"""

from __future__ import annotations

import sys

ROOT_OPTIONS_WITH_VALUES = frozenset(("--config", "--log-level", "--log-format"))
"""The options before the command that take a value (``--log-level DEBUG ingest ...``)."""

_NO_WORK = frozenset(("--dry-run", "--help"))


def first_command(argv: list[str]) -> str | None:
    """The first word of ``argv`` (without the program name) that is not an option or the
    value of one: the command it runs, if any."""
    args = iter(argv)
    for arg in args:
        if arg in ROOT_OPTIONS_WITH_VALUES:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Run the command line named by ``sys.argv``."""
    argv = sys.argv[1:]
    ingest = first_command(argv) == "ingest"
    if ingest and not _NO_WORK & set(argv):
        from marketlake.ingest.forkserver import start_forkserver

        start_forkserver()
    from marketlake.cli import main as run_command_line

    if not ingest:
        run_command_line()
        return
    from marketlake.cli._exit import exit_at_once

    exit_at_once(run_command_line)
