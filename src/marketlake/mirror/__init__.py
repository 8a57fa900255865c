"""The local stand-in for data.binance.vision: the archive's S3 bucket over real HTTP.

from marketlake.mirror import run_mirror

with run_mirror(seed=7) as mirror:
    ...  # point any archive client at mirror.base_url
"""

from marketlake.mirror.content import ArchiveContent, ObjectInfo
from marketlake.mirror.faults import FaultKind, FaultSpec, FaultStats
from marketlake.mirror.layered import LayeredContent
from marketlake.mirror.overlay import OverlayContent
from marketlake.mirror.server import MirrorServer, MirrorStats, build_content, run_mirror

__all__ = [
    "ArchiveContent",
    "FaultKind",
    "FaultSpec",
    "FaultStats",
    "LayeredContent",
    "MirrorServer",
    "MirrorStats",
    "ObjectInfo",
    "OverlayContent",
    "build_content",
    "run_mirror",
]
