"""Seeded, per-request fault injection for the stand-in.

A :class:`FaultSpec` is parsed from text such as::

    5xx=0.05,reset=0.02,truncate=0.02,slow=0.01:2.0,429=0.02:1,418=0,bad_checksum=0.01,corrupt_zip=0.01

Each rate is the probability (0..1) that one eligible request gets that fault; the faults
exclude each other, so the rates must add up to at most 1. ``slow`` takes the delay in
seconds after a colon (default 1), ``429`` the ``Retry-After`` seconds (default 1).

Eligible requests are GETs of existing files; listings too when the spec says
``listing=1`` (then only the HTTP-level faults apply: 5xx, reset, truncate, slow, 429,
418). ``bad_checksum`` only hits ``.CHECKSUM`` keys and ``corrupt_zip`` only ``.zip`` keys:
a draw of either on another key injects nothing. The n-th eligible request draws from a
generator seeded with ``(seed, n)``, so a seed and a request sequence always give the same
faults.
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from marketlake.catalog import format_checksum
from marketlake.errors import ConfigError

_FLIPPED_BYTES = 8
_SERVER_ERROR_STATUSES = (500, 502, 503)


class FaultKind(StrEnum):
    """One kind of fault, named as in a fault spec."""

    SERVER_ERROR = "5xx"
    RESET = "reset"
    TRUNCATE = "truncate"
    SLOW = "slow"
    RATE_LIMITED = "429"
    BANNED = "418"
    BAD_CHECKSUM = "bad_checksum"
    CORRUPT_ZIP = "corrupt_zip"

    @property
    def hits_listings(self) -> bool:
        """True for the HTTP-level faults a listing can get."""
        return self not in (FaultKind.BAD_CHECKSUM, FaultKind.CORRUPT_ZIP)

    def applies_to(self, key: str) -> bool:
        """True when this fault can be injected into a GET of ``key``."""
        if self is FaultKind.BAD_CHECKSUM:
            return key.endswith(".CHECKSUM")
        if self is FaultKind.CORRUPT_ZIP:
            return key.endswith(".zip")
        return True


@dataclass(frozen=True)
class FaultSpec:
    """How often each fault happens, and whether listings get them too."""

    rates: Mapping[FaultKind, float] = field(default_factory=dict)
    slow_seconds: float = 1.0
    retry_after_seconds: float = 1.0
    listing: bool = False

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"fault rate {kind.value}={rate} is not between 0 and 1")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ConfigError("fault rates add up to more than 1: lower some of them")
        if self.slow_seconds < 0 or self.retry_after_seconds < 0:
            raise ConfigError("slow and 429 seconds must not be negative")
        ordered = {kind: self.rates[kind] for kind in FaultKind if kind in self.rates}
        object.__setattr__(self, "rates", MappingProxyType(ordered))

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """A spec from ``kind=rate[:seconds],...`` text (empty text: no faults)."""
        rates: dict[FaultKind, float] = {}
        options: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"fault {item!r} has no '=': write it as kind=rate")
            if name.strip() == "listing":
                options["listing"] = _number(item, value)
                continue
            kind = _kind(name.strip())
            rate_text, _, seconds = value.partition(":")
            rates[kind] = _number(item, rate_text)
            if seconds:
                options[kind.value] = _number(item, seconds)
        return cls(
            rates=rates,
            slow_seconds=options.get(FaultKind.SLOW.value, 1.0),
            retry_after_seconds=options.get(FaultKind.RATE_LIMITED.value, 1.0),
            listing=bool(options.get("listing", 0.0)),
        )

    @property
    def active(self) -> bool:
        """True when any fault has a rate above zero."""
        return any(rate > 0 for rate in self.rates.values())

    def __str__(self) -> str:
        items = [f"{kind.value}={rate:g}" for kind, rate in self.rates.items()]
        return ",".join([*items, f"listing={int(self.listing)}"])


def _kind(name: str) -> FaultKind:
    try:
        return FaultKind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise ConfigError(f"unknown fault {name!r}: expected one of {known}, listing") from None


def _number(item: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"fault {item!r}: {text!r} is not a number") from None


@dataclass(frozen=True)
class Fault:
    """The fault one request gets, with its drawn details."""

    kind: FaultKind
    status: int = 0
    keep_fraction: float = 1.0
    delay_seconds: float = 0.0
    retry_after_seconds: float = 0.0
    sequence: int = 0


@dataclass(frozen=True)
class FaultStats:
    """How many eligible requests were seen and how many faults of each kind were injected."""

    eligible_requests: int
    injected: Mapping[str, int]

    def count(self, kind: FaultKind) -> int:
        """Faults of ``kind`` injected so far."""
        return self.injected.get(kind.value, 0)


class FaultInjector:
    """Draws the fault of each eligible request from a seeded sequence; counts injections."""

    def __init__(self, spec: FaultSpec | None, seed: int = 0) -> None:
        self._spec = spec or FaultSpec()
        self._seed = seed
        self._sequence = 0
        self._injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def spec(self) -> FaultSpec:
        """The spec faults are drawn from."""
        return self._spec

    def draw(self, key: str, *, listing: bool = False) -> Fault | None:
        """The fault for the next eligible request (a GET of ``key``), or None."""
        if not self._spec.active or (listing and not self._spec.listing):
            return None
        with self._lock:
            number = self._sequence
            self._sequence += 1
        rng = random.Random(f"{self._seed}:{number}")
        kind = self._pick(rng.random())
        if kind is None or not kind.applies_to(key) or (listing and not kind.hits_listings):
            return None
        with self._lock:
            self._injected[kind.value] += 1
        return self._detail(kind, rng, number)

    def stats(self) -> FaultStats:
        """A snapshot of the counters."""
        with self._lock:
            return FaultStats(self._sequence, MappingProxyType(dict(self._injected)))

    def _pick(self, draw: float) -> FaultKind | None:
        ceiling = 0.0
        for kind, rate in self._spec.rates.items():
            ceiling += rate
            if draw < ceiling:
                return kind
        return None

    def _detail(self, kind: FaultKind, rng: random.Random, number: int) -> Fault:
        if kind is FaultKind.SERVER_ERROR:
            return Fault(kind, status=rng.choice(_SERVER_ERROR_STATUSES), sequence=number)
        if kind is FaultKind.RATE_LIMITED:
            retry = self._spec.retry_after_seconds
            return Fault(kind, status=429, retry_after_seconds=retry, sequence=number)
        if kind is FaultKind.BANNED:
            return Fault(kind, status=418, sequence=number)
        if kind is FaultKind.SLOW:
            return Fault(kind, delay_seconds=self._spec.slow_seconds, sequence=number)
        if kind in (FaultKind.RESET, FaultKind.TRUNCATE):
            return Fault(kind, keep_fraction=rng.uniform(0.0, 0.9), sequence=number)
        return Fault(kind, sequence=number)


def bad_checksum(key: str, content: bytes) -> bytes:
    """A CHECKSUM file's content in the valid format but with a wrong sha256."""
    file_name = key.rsplit("/", 1)[-1].removesuffix(".CHECKSUM")
    wrong = hashlib.sha256(b"marketlake-bad-checksum:" + content).hexdigest()
    return format_checksum(wrong, file_name).encode()


def corrupt_zip(data: bytes, seed: int = 0) -> bytes:
    """``data`` with bytes flipped inside the zip's deflate stream; same length."""
    start, end = _member_data_span(data)
    if end - start < 1:
        start, end = 0, len(data)
    if end <= start:
        return data
    rng = random.Random(f"corrupt:{seed}")
    middle_start = start + (end - start) // 4
    middle_end = max(middle_start + 1, end - (end - start) // 4)
    corrupted = bytearray(data)
    for _ in range(_FLIPPED_BYTES):
        corrupted[rng.randrange(middle_start, middle_end)] ^= 0xFF
    return bytes(corrupted)


def _member_data_span(data: bytes) -> tuple[int, int]:
    """Where the first member's compressed bytes lie, or ``(0, 0)`` when not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = archive.infolist()[0]
    except (zipfile.BadZipFile, IndexError, OSError):
        return 0, 0
    header = member.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    return start, min(len(data), start + member.compress_size)
