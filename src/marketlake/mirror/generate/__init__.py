"""The generated content of the archive stand-in: a seeded universe served lazily.

``GeneratedArchive(seed, now, big)`` implements
:class:`~marketlake.mirror.content.ArchiveContent` for every key of the archive's grammar,
each zip's ``.CHECKSUM`` sibling, and Binance-style lists of regenerated files under
``updates/``. ``known_traps()`` says where each of the real archive's traps is planted.
"""

from marketlake.mirror.generate.archive import DEFAULT_CACHE_BYTES, GeneratedArchive
from marketlake.mirror.generate.traps import (
    BIG_TRADES_KEY,
    BIG_TRADES_ROWS,
    Outage,
    Regeneration,
    Traps,
    known_traps,
)

__all__ = [
    "BIG_TRADES_KEY",
    "BIG_TRADES_ROWS",
    "DEFAULT_CACHE_BYTES",
    "GeneratedArchive",
    "Outage",
    "Regeneration",
    "Traps",
    "known_traps",
]
