"""``python -m marketlake``: the command line."""

from marketlake.cli import main

main()
