"""Deterministic randomness: every random draw is keyed by the seed and by what it is for.

Two draws never share a stream unless they describe the same thing, so a daily file, the
monthly file that contains it and the listing that sizes it all see the same numbers, in any
order and in any process.
"""

from __future__ import annotations

import hashlib

import numpy as np

_HASH_BYTES = 16
_UNIT_SCALE = float(1 << 53)


def _digest(seed: int, parts: tuple[object, ...]) -> int:
    text = "\x1f".join([str(seed), *(str(part) for part in parts)])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=_HASH_BYTES).digest()
    return int.from_bytes(digest, "little")


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """A numpy generator whose stream depends only on ``seed`` and ``parts``."""
    return np.random.Generator(np.random.PCG64(_digest(seed, parts)))


def unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) that depends only on ``seed`` and ``parts``."""
    return (_digest(seed, parts) >> (_HASH_BYTES * 8 - 53)) / _UNIT_SCALE


def choice_index(count: int, seed: int, *parts: object) -> int:
    """A uniform index in ``range(count)`` that depends only on ``seed`` and ``parts``."""
    return _digest(seed, parts) % count
