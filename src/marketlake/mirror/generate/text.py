"""CSV text from integer columns, vectorised, without floats.

Every value arrives as an exact integer (a decimal is an integer count of its last digit).
Large columns are written digit by digit into a fixed-width byte matrix (one matrix row per
byte position, one column per CSV row, so every write is contiguous) with a mask of the bytes
to keep, and one transpose and one boolean index yield the whole CSV; small columns (a one-row daily
``1d`` file) are formatted with plain Python, which is faster below a few dozen rows. Both
paths write the same text, and no float is ever printed: ``7195.24000000`` and
``537541030.00740000`` come out digit for digit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ByteMatrix = npt.NDArray[np.uint8]

SMALL_ROWS = 24
_MAX_DIGITS = 19
_INT64_MAX = 2**63 - 1
_POWERS = np.array([10**k for k in range(_MAX_DIGITS)], dtype=np.int64)
_QUADS = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], dtype=np.uint8).T.copy()
_ZERO = ord("0")
_SECONDS_PER_DAY = 86_400
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Cells:
    """A column as byte runs side by side, each ``(width, rows)``; a mask (None: all) says
    which bytes are written."""

    runs: tuple[tuple[ByteMatrix, BoolArray | None], ...]
    rows: int


@dataclass(frozen=True)
class Texts:
    """A small column as Python strings."""

    values: tuple[str, ...]

    @property
    def rows(self) -> int:
        """The number of cells."""
        return len(self.values)


Column = Cells | Texts


def _is_small(values: npt.NDArray[np.generic]) -> bool:
    return int(values.shape[0]) <= SMALL_ROWS


def _run(chars: ByteMatrix, keep: BoolArray | None = None) -> tuple[ByteMatrix, BoolArray | None]:
    return (chars, keep)


def _constant_run(text: str, rows: int) -> tuple[ByteMatrix, BoolArray | None]:
    encoded = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return _run(np.broadcast_to(encoded[:, None], (encoded.size, rows)))


def _digits(values: IntArray, width: int) -> ByteMatrix:
    """The last ``width`` decimal digits of non-negative ``values`` as ASCII, zero padded."""
    quads = -(-width // 4)
    out = np.empty((quads * 4, values.shape[0]), dtype=np.uint8)
    rest = values
    for quad in range(quads - 1, -1, -1):
        higher = rest // 10_000
        np.take(_QUADS, rest - higher * 10_000, axis=1, out=out[quad * 4 : quad * 4 + 4])
        rest = higher
    return out[quads * 4 - width :]


def _magnitude(values: IntArray) -> IntArray:
    if values.size and int(values.min()) == np.iinfo(np.int64).min:
        raise OverflowError("the int64 minimum has no magnitude")
    return np.abs(values)


def _sign_run(values: IntArray) -> tuple[ByteMatrix, BoolArray | None]:
    return _run(np.full((1, values.shape[0]), ord("-"), dtype=np.uint8), (values < 0)[None, :])


def _whole_runs(values: IntArray) -> list[tuple[ByteMatrix, BoolArray | None]]:
    magnitude = _magnitude(values)
    count = np.maximum(np.searchsorted(_POWERS, magnitude, side="right"), 1)
    width = int(count.max(initial=1))
    keep = np.arange(width)[:, None] >= (width - count)[None, :]
    return [_sign_run(values), _run(_digits(magnitude, width), keep)]


def scaled(values: IntArray, multiplier: int) -> IntArray:
    """``values * multiplier``, refusing (OverflowError) what int64 cannot hold."""
    if multiplier != 1 and values.size and int(np.abs(values).max()) > _INT64_MAX // multiplier:
        raise OverflowError(f"values times {multiplier} do not fit in 64 bits")
    result: IntArray = values * multiplier
    return result


def constant(text: str, rows: int) -> Column:
    """The same text in every cell."""
    if rows <= SMALL_ROWS:
        return Texts((text,) * rows)
    return Cells((_constant_run(text, rows),), rows)


def integers(values: IntArray) -> Column:
    """Whole numbers, with a leading ``-`` where negative."""
    if _is_small(values):
        return Texts(tuple(str(v) for v in values.tolist()))
    return Cells(tuple(_whole_runs(values)), int(values.shape[0]))


def _decimal_text(value: int, scale: int, trim: bool) -> str:
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**scale)
    digits = f"{fraction:0{scale}d}"
    if trim:
        digits = digits.rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def decimals(values: IntArray, scale: int, *, trim: bool = False, shown: int = 0) -> Column:
    """Scaled integers as decimals with ``scale`` digits after the point.

    With ``trim`` trailing zeros of the fraction are dropped, and the point with them when
    the fraction is zero (``108253.8``, ``7``), as the archive writes futures trades;
    otherwise the fraction has ``max(scale, shown)`` digits (``7195.24000000``), the extra
    ones zeros, so values whose scaled form would not fit in 64 bits still print.
    """
    if shown > scale and not trim:
        return _zero_padded(decimals(values, scale), shown - scale, point=scale == 0)
    if scale == 0:
        return integers(values)
    if _is_small(values):
        return Texts(tuple(_decimal_text(v, scale, trim) for v in values.tolist()))
    rows = int(values.shape[0])
    magnitude = _magnitude(values)
    unit = _POWERS[scale]
    whole_part = magnitude // unit
    _, whole = _whole_runs(whole_part)
    sign = _sign_run(values)
    digits = _digits(magnitude - whole_part * unit, scale)
    point = _constant_run(".", rows)
    if not trim:
        return Cells((sign, whole, point, _run(digits)), rows)
    zeros = np.logical_and.accumulate(digits[::-1] == _ZERO, axis=0)[::-1]
    point = _run(point[0], ~zeros[:1])
    return Cells((sign, whole, point, _run(digits, ~zeros)), rows)


def _zero_padded(column: Column, zeros: int, point: bool) -> Column:
    suffix = ("." if point else "") + "0" * zeros
    if isinstance(column, Texts):
        return Texts(tuple(v + suffix for v in column.values))
    return Cells((*column.runs, _constant_run(suffix, column.rows)), column.rows)


def booleans(values: BoolArray, true_text: str, false_text: str) -> Column:
    """Booleans as the archive spells them (``True``/``False`` or ``true``/``false``)."""
    if _is_small(values):
        return Texts(tuple(true_text if v else false_text for v in values.tolist()))
    width = max(len(true_text), len(false_text))
    yes = np.frombuffer(true_text.ljust(width).encode(), dtype=np.uint8)
    no = np.frombuffer(false_text.ljust(width).encode(), dtype=np.uint8)
    chars = np.where(values[None, :], yes[:, None], no[:, None]).astype(np.uint8)
    lengths = np.where(values, len(true_text), len(false_text))
    keep = np.arange(width)[:, None] < lengths[None, :]
    return Cells((_run(chars, keep),), int(values.shape[0]))


def choose(codes: IntArray, options: Sequence[str]) -> Column:
    """Text cells picked from a small vocabulary: cell i is ``options[codes[i]]``."""
    if _is_small(codes):
        return Texts(tuple(options[c] for c in codes.tolist()))
    encoded = [o.encode("utf-8") for o in options]
    width = max(len(e) for e in encoded)
    table = np.zeros((width, len(encoded)), dtype=np.uint8)
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    for index, value in enumerate(encoded):
        table[: len(value), index] = np.frombuffer(value, dtype=np.uint8)
    keep = np.arange(width)[:, None] < lengths[codes][None, :]
    return Cells(((np.take(table, codes, axis=1), keep),), int(codes.shape[0]))


def _civil(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian, vectorised)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _date_runs(days: IntArray) -> list[tuple[ByteMatrix, BoolArray | None]]:
    year, month, day = _civil(days)
    dash = _constant_run("-", int(days.shape[0]))
    return [_run(_digits(year, 4)), dash, _run(_digits(month, 2)), dash, _run(_digits(day, 2))]


def dates(days: IntArray) -> Column:
    """``YYYY-MM-DD`` from days since 1970-01-01."""
    if _is_small(days):
        return Texts(
            tuple((_EPOCH + dt.timedelta(days=d)).strftime("%Y-%m-%d") for d in days.tolist())
        )
    return Cells(tuple(_date_runs(days)), int(days.shape[0]))


def datetimes(seconds: IntArray) -> Column:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) from epoch seconds."""
    if _is_small(seconds):
        return Texts(
            tuple(
                (_EPOCH + dt.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")
                for s in seconds.tolist()
            )
        )
    rows = int(seconds.shape[0])
    of_day = seconds % _SECONDS_PER_DAY
    colon = _constant_run(":", rows)
    clock = [
        _run(_digits(of_day // 3600, 2)),
        colon,
        _run(_digits(of_day // 60 % 60, 2)),
        colon,
        _run(_digits(of_day % 60, 2)),
    ]
    runs = [*_date_runs(seconds // _SECONDS_PER_DAY), _constant_run(" ", rows), *clock]
    return Cells(tuple(runs), rows)


def blank_where(column: Column, empty: BoolArray) -> Column:
    """The same column with the cells where ``empty`` is true left empty."""
    if isinstance(column, Texts):
        return Texts(
            tuple("" if e else v for v, e in zip(column.values, empty.tolist(), strict=True))
        )
    kept = ~empty[None, :]
    runs = tuple((chars, kept if keep is None else keep & kept) for chars, keep in column.runs)
    return Cells(runs, column.rows)


def csv_rows(columns: Sequence[Column]) -> bytes:
    """The CSV text of ``columns``: comma separated, every line ending in ``\\n``."""
    rows = columns[0].rows
    if rows == 0:
        return b""
    if all(isinstance(c, Texts) for c in columns):
        texts = [c.values for c in columns if isinstance(c, Texts)]
        return "".join(",".join(row) + "\n" for row in zip(*texts, strict=True)).encode()
    runs: list[tuple[ByteMatrix, BoolArray | None]] = []
    comma = _constant_run(",", rows)
    for column in columns:
        runs.extend(_as_cells(column).runs)
        runs.append(comma)
    runs[-1] = _constant_run("\n", rows)
    chars = np.concatenate([chars for chars, _ in runs], axis=0).T.copy()
    keep = np.concatenate(
        [
            np.ones(c.shape, dtype=np.bool_) if k is None else np.broadcast_to(k, c.shape)
            for c, k in runs
        ],
        axis=0,
    ).T.copy()
    return bytes(chars[keep].tobytes())


def _as_cells(column: Column) -> Cells:
    if isinstance(column, Cells):
        return column
    encoded = [v.encode("utf-8") for v in column.values]
    width = max((len(v) for v in encoded), default=0)
    chars = np.zeros((width, len(encoded)), dtype=np.uint8)
    keep = np.zeros((width, len(encoded)), dtype=np.bool_)
    for row, value in enumerate(encoded):
        chars[: len(value), row] = np.frombuffer(value, dtype=np.uint8)
        keep[: len(value), row] = True
    return Cells(((chars, keep),), len(encoded))


def header_row(names: Sequence[str]) -> bytes:
    """A CSV header line."""
    return (",".join(names) + "\n").encode("utf-8")
