"""When the archive publishes a file, relative to the data date.

Daily files appear the next UTC day, futures sometimes 1-3 days late. Monthly files appear
only for completed months: officially the first Monday after, in practice up to mid-month.
"""

from __future__ import annotations

from datetime import date, timedelta

from marketlake.catalog.markets import Market, Period

DAILY_DELAY = timedelta(days=1)
FUTURES_EXTRA_DELAY_MAX = timedelta(days=3)
MONTHLY_LATEST_DAY = 15


def first_monday_after_month(month_start: date) -> date:
    """The first Monday on or after the first day of the next month."""
    next_month = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    return next_month + timedelta(days=(7 - next_month.weekday()) % 7)


def earliest_publication(period: Period, first_day: date) -> date:
    """The earliest day a file covering ``first_day``'s day or month can appear."""
    if period is Period.DAILY:
        return first_day + DAILY_DELAY
    return first_monday_after_month(first_day.replace(day=1))


def latest_publication(market: Market, period: Period, first_day: date) -> date:
    """The day by which the file should have appeared; after it a missing file is a gap."""
    if period is Period.DAILY:
        extra = FUTURES_EXTRA_DELAY_MAX if market.is_futures else timedelta(0)
        return first_day + DAILY_DELAY + extra
    month_start = first_day.replace(day=1)
    next_month = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    return next_month.replace(day=MONTHLY_LATEST_DAY)
