"""Backoff delays and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from marketlake.source._retry import backoff_delay, parse_retry_after


@given(attempt=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_backoff_stays_between_half_and_all_of_the_capped_exponential(
    attempt: int, seed: int
) -> None:
    delay = backoff_delay(attempt, base=0.5, cap=30.0, rng=random.Random(seed))
    ceiling = min(30.0, 0.5 * 2 ** min(attempt - 1, 32))
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_grows_then_is_capped() -> None:
    rng = random.Random(0)
    ceilings = [
        max(backoff_delay(a, base=1.0, cap=8.0, rng=rng) for _ in range(50)) for a in range(1, 7)
    ]
    assert ceilings[0] <= 1.0 < ceilings[2] <= 4.0
    assert all(c <= 8.0 for c in ceilings)
    assert ceilings[-1] > 4.0


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:07 GMT", now=now) == 7.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0


def test_unusable_retry_after_is_none() -> None:
    for value in (None, "", "soon", "inf", "nan"):
        assert parse_retry_after(value) is None
