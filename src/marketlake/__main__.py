"""``python -m marketlake``: the command line.

For ``ingest`` (the command a scheduler runs, often with nothing to do) two things are done
around the command line itself: the decoders' fork server starts before the command line is
even imported, so pyarrow imports meanwhile, and once the run is over and everything it
opened is closed, the process exits without tearing the interpreter down module by module
(that alone took 0.1-0.2 s of every run); exit handlers and output buffers still run first.
"""

import sys

INGEST = sys.argv[1:2] == ["ingest"]

if INGEST and not {"--dry-run", "--help"} & set(sys.argv):
    from marketlake.ingest.pool import start_forkserver

    start_forkserver()

from marketlake.cli import main  # noqa: E402  (after the fork server has started)

if not INGEST:
    main()
else:
    from marketlake.cli._exit import exit_at_once

    exit_at_once(main)
