"""The CSV writer of the generated archive: exact decimals, same text on both code paths."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlake.mirror.generate import text

_INT64 = st.integers(min_value=-(2**62), max_value=2**62)


def _render(values: list[int], scale: int, trim: bool) -> list[str]:
    column = text.decimals(np.array(values, dtype=np.int64), scale, trim=trim)
    return text.csv_rows([column]).decode().splitlines()


@settings(max_examples=60, deadline=None)
@given(st.lists(_INT64, min_size=1, max_size=80), st.integers(0, 12), st.booleans())
def test_decimals_read_back_exactly_on_both_paths(
    values: list[int], scale: int, trim: bool
) -> None:
    padded = values * (text.SMALL_ROWS // len(values) + 2)  # long enough for the vector path
    long_lines = _render(padded, scale, trim)[: len(values)]
    short_lines = [_render([v], scale, trim)[0] for v in values]
    assert long_lines == short_lines
    for value, line in zip(values, long_lines, strict=True):
        assert Decimal(line) == Decimal(value).scaleb(-scale)
        if scale and not trim:
            assert len(line.partition(".")[2]) == scale


def test_fixed_and_trimmed_decimals_look_like_the_archive() -> None:
    values = np.array([719524000000, 53754103000740000, 0, -12345, 100_000_000], dtype=np.int64)
    fixed = _render(values.tolist(), 8, False)
    trimmed = _render(values.tolist(), 8, True)
    assert fixed == [
        "7195.24000000",
        "537541030.00740000",
        "0.00000000",
        "-0.00012345",
        "1.00000000",
    ]
    assert trimmed == ["7195.24", "537541030.0074", "0", "-0.00012345", "1"]


def test_datetimes_booleans_blanks_and_unicode_text() -> None:
    seconds = np.array([0, 1782259204, 951782400] * 10, dtype=np.int64)
    rows = text.csv_rows(
        [
            text.datetimes(seconds),
            text.booleans(seconds > 0, "True", "False"),
            text.blank_where(text.integers(seconds), seconds == 0),
            text.constant("龙虾USDT", seconds.shape[0]),
        ]
    ).decode()
    assert rows.splitlines()[:3] == [
        "1970-01-01 00:00:00,False,,龙虾USDT",
        "2026-06-24 00:00:04,True,1782259204,龙虾USDT",
        "2000-02-29 00:00:00,True,951782400,龙虾USDT",
    ]
    assert rows.endswith("\n")


def test_decimals_shown_beyond_their_scale_need_no_wider_integers() -> None:
    huge = np.array([9_000_000_000_000_000_000 // 10, 7, 0] * 10, dtype=np.int64)
    long_rows = text.csv_rows([text.decimals(huge, 0, shown=8)]).decode().splitlines()
    short_rows = text.csv_rows([text.decimals(huge[:3], 0, shown=8)]).decode().splitlines()
    assert (
        long_rows[:3] == short_rows == ["900000000000000000.00000000", "7.00000000", "0.00000000"]
    )
    assert text.csv_rows([text.decimals(np.array([12345]), 2, shown=8)]) == b"123.45000000\n"
