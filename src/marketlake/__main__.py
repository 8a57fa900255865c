"""``python -m marketlake``: the command line."""

import sys

if sys.argv[1:2] == ["ingest"] and not {"--dry-run", "--help"} & set(sys.argv):
    from marketlake.ingest.pool import start_forkserver

    start_forkserver()  # the decoders import pyarrow now, while the command line imports itself

from marketlake.cli import main  # after the fork server has started

main()
