"""``python -m marketlake``: the command line (see :mod:`marketlake._entry`)."""

from marketlake._entry import main

main()
