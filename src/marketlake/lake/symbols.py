"""``lake.symbols(market)``: one row per symbol ever seen, listed or delisted.

Three sources, each optional, merged by symbol:

- the exchange-info endpoint (status, assets, tick size, lot size, minimum notional, contract
  type and size, margin asset, onboard and delivery times), when reachable;
- the archive listing: every symbol folder of the market (delisted ones stay in the bucket),
  the datasets it appears in, and the first and last day of its files (1d klines, else its
  only dataset);
- the manifest: the datasets and the first and last day the lake holds.

Without the exchange (offline, or a symbol it no longer lists) assets, pair, perpetual or
delivery come from the symbol's name (``info_source`` says ``symbol_name``) and ``delisted``
is inferred from the archive: a symbol whose next file is overdue by the publication rules.
Without the archive too, the lake alone answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from marketlake.catalog import Market, Period, datasets_of, get_dataset
from marketlake.catalog.publication import latest_publication
from marketlake.catalog.symbols import parse_symbol
from marketlake.errors import LakeError, SourceError
from marketlake.lake._archive import open_archive, run_blocking
from marketlake.lake.archive_span import archive_symbols, representative, spans
from marketlake.manifest.abc import ManifestStore
from marketlake.settings import Settings
from marketlake.source.exchange_info import ExchangeInfo, ExchangeSymbol, fetch_exchange_info

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import PolarsDataType

logger = logging.getLogger(__name__)

MIN_SCALE, MAX_SCALE = 8, 18
"""Decimal places of tick size, lot size and min notional: Binance's 8, up to 18."""
LIVE_STATUSES = frozenset({"TRADING", "PENDING_TRADING", "PRE_TRADING"})
"""Exchange statuses of a symbol that is (or is about to be) trading."""


@dataclass(frozen=True)
class ArchiveView:
    """What the archive listing says about a market's symbols (None fields: unreachable)."""

    datasets: Mapping[str, tuple[str, ...]]
    spans: Mapping[str, tuple[date, date]]


@dataclass(frozen=True)
class LakeSpan:
    """The first and last day one symbol has rows in the lake, and in which datasets."""

    first: date
    last: date
    datasets: tuple[str, ...]


@dataclass(frozen=True)
class SymbolRow:
    """One symbol of one market, from every source that knows it."""

    market: Market
    symbol: str
    status: str | None = None
    delisted: bool | None = None
    base_asset: str | None = None
    quote_asset: str | None = None
    pair: str | None = None
    contract_type: str | None = None
    contract_size: int | None = None
    margin_asset: str | None = None
    tick_size: Decimal | None = None
    lot_size: Decimal | None = None
    min_notional: Decimal | None = None
    onboard_date: datetime | None = None
    delivery_date: datetime | None = None
    archive_first: date | None = None
    archive_last: date | None = None
    lake_first: date | None = None
    lake_last: date | None = None
    archive_datasets: tuple[str, ...] = field(default=())
    lake_datasets: tuple[str, ...] = field(default=())
    info_source: str = "symbol_name"


def list_symbols(
    settings: Settings,
    store: ManifestStore,
    market: Market,
    *,
    now: date | None = None,
    online: bool = True,
) -> tuple[SymbolRow, ...]:
    """Every symbol of ``market`` the exchange, the archive or the lake knows, by symbol.

    ``now`` (default: the exchange's server day, else today UTC) decides what is overdue;
    ``online=False`` asks neither the exchange nor the archive.
    """
    lake = lake_spans(store, market, settings.archive_id)
    info, archive = None, None
    if online:
        today = now or datetime.now(UTC).date()
        info, archive = run_blocking(lambda: _remote(settings, market, today))
    if now is None:
        now = info.server_time.date() if info is not None else datetime.now(UTC).date()
    names = set(lake) | set(archive.datasets if archive else ()) | _info_names(info)
    return tuple(
        _row(market, s, info=info, archive=archive, lake=lake.get(s), now=now)
        for s in sorted(names)
    )


def lake_spans(store: ManifestStore, market: Market, source: str) -> dict[str, LakeSpan]:
    """Per symbol, the days and datasets the lake holds (done partitions of the manifest)."""
    found: dict[str, tuple[datetime, datetime, list[str]]] = {}
    for spec in datasets_of(market):
        for part in store.files(market, spec.name, source=source):
            first, last, names = found.get(part.key.symbol, (part.min_time, part.max_time, []))
            if spec.name not in names:
                names.append(spec.name)
            found[part.key.symbol] = (min(first, part.min_time), max(last, part.max_time), names)
    return {
        symbol: LakeSpan(first.date(), last.date(), tuple(names))
        for symbol, (first, last, names) in found.items()
    }


async def _remote(
    settings: Settings, market: Market, now: date
) -> tuple[ExchangeInfo | None, ArchiveView | None]:
    async with open_archive(settings) as archive:
        try:
            info: ExchangeInfo | None = await fetch_exchange_info(
                archive.client, market, archive.rest_url
            )
        except SourceError as exc:
            logger.warning("exchange info of %s unreachable (%s): names only", market, exc.message)
            info = None
        if info is not None:
            now = info.server_time.date()
        try:
            datasets = await archive_symbols(archive, market)
            view: ArchiveView | None = ArchiveView(
                datasets, await spans(archive, market, datasets, now)
            )
        except SourceError as exc:
            logger.warning("archive listing unreachable (%s): the lake alone answers", exc.message)
            view = None
    return info, view


def _info_names(info: ExchangeInfo | None) -> set[str]:
    return {s.symbol for s in info.symbols} if info is not None else set()


def _row(
    market: Market,
    symbol: str,
    *,
    info: ExchangeInfo | None,
    archive: ArchiveView | None,
    lake: LakeSpan | None,
    now: date,
) -> SymbolRow:
    span = archive.spans.get(symbol) if archive else None
    datasets = archive.datasets.get(symbol, ()) if archive else ()
    base = SymbolRow(
        market,
        symbol,
        archive_first=span[0] if span else None,
        archive_last=span[1] if span else None,
        lake_first=lake.first if lake else None,
        lake_last=lake.last if lake else None,
        archive_datasets=datasets,
        lake_datasets=lake.datasets if lake else (),
    )
    exact = info.find(symbol) if info is not None else None
    if exact is not None:
        return _with_info(base, exact)
    overdue = _overdue(market, symbol, datasets, span, now)
    return replace(_with_name(base, info), delisted=overdue)


def _with_info(base: SymbolRow, entry: ExchangeSymbol) -> SymbolRow:
    return replace(
        base,
        status=entry.status,
        delisted=entry.status is not None and entry.status not in LIVE_STATUSES,
        base_asset=entry.base_asset,
        quote_asset=entry.quote_asset,
        pair=entry.pair,
        contract_type=entry.contract_type,
        contract_size=entry.contract_size,
        margin_asset=entry.margin_asset,
        tick_size=entry.tick_size,
        lot_size=entry.lot_size,
        min_notional=entry.min_notional,
        onboard_date=entry.onboard_date,
        delivery_date=entry.delivery_date,
        info_source="exchange_info",
    )


def _with_name(base: SymbolRow, info: ExchangeInfo | None) -> SymbolRow:
    market = base.market
    pair_entry = info.by_pair(base.symbol) if info is not None and market.is_futures else None
    if pair_entry is not None:  # a COIN-M index folder (BTCUSD): the pair of its contracts
        return replace(
            base,
            base_asset=pair_entry.base_asset,
            quote_asset=pair_entry.quote_asset,
            pair=base.symbol,
            margin_asset=pair_entry.margin_asset,
            info_source="exchange_info",
        )
    name = parse_symbol(market, base.symbol)
    return replace(
        base,
        base_asset=name.base_asset,
        quote_asset=name.quote_asset,
        pair=name.pair if market.is_futures else None,
        contract_type="PERPETUAL" if market.is_futures and name.perpetual else None,
        margin_asset={Market.UM: name.quote_asset, Market.CM: name.base_asset}.get(market),
        delivery_date=name.delivery,
    )


def _overdue(
    market: Market,
    symbol: str,
    datasets: Iterable[str],
    span: tuple[date, date] | None,
    now: date,
) -> bool | None:
    """True when the symbol's next archive file should have appeared by ``now`` but did not."""
    folder = representative(market, symbol, tuple(datasets))
    if span is None or folder is None:
        return None
    stop = get_dataset(folder.dataset).discontinued_after(market)
    if stop is not None and span[1] >= stop:
        return None
    next_day = span[1] + timedelta(days=1)
    if folder.period is Period.MONTHLY:
        next_day = span[1].replace(day=1) + timedelta(days=32)
    return latest_publication(market, folder.period, next_day) < now


def symbols_frame(rows: Iterable[SymbolRow]) -> pl.DataFrame:
    """The rows as a Polars DataFrame (decimals exact, times UTC microseconds)."""
    import polars as pl

    rows = list(rows)
    decimal = pl.Decimal(38, _scale(rows))
    moment = pl.Datetime("us", "UTC")
    schema: dict[str, PolarsDataType] = {
        "market": pl.String, "symbol": pl.String, "status": pl.String, "delisted": pl.Boolean,
        "base_asset": pl.String, "quote_asset": pl.String, "pair": pl.String,
        "contract_type": pl.String, "contract_size": pl.Int64, "margin_asset": pl.String,
        "tick_size": decimal, "lot_size": decimal, "min_notional": decimal,
        "onboard_date": moment, "delivery_date": moment,
        "archive_first": pl.Date, "archive_last": pl.Date, "lake_first": pl.Date,
        "lake_last": pl.Date, "archive_datasets": pl.List(pl.String),
        "lake_datasets": pl.List(pl.String), "info_source": pl.String,
    }  # fmt: skip
    return pl.DataFrame([_record(row) for row in rows], schema=schema)


def _scale(rows: Iterable[SymbolRow]) -> int:
    """Decimal places that hold every tick size, lot size and notional exactly (8 at least,
    as Binance writes them; Polars would round a value with more places)."""
    exponents = [
        value.as_tuple().exponent
        for row in rows
        for value in (row.tick_size, row.lot_size, row.min_notional)
        if value is not None
    ]
    places = max([MIN_SCALE, *(-e for e in exponents if isinstance(e, int))])
    if places > MAX_SCALE:
        raise LakeError(f"a tick/lot size or notional has {places} decimal places (max 18)")
    return places


def _record(row: SymbolRow) -> dict[str, object]:
    values = dict(vars(row))
    values["market"] = row.market.value
    values["archive_datasets"] = list(row.archive_datasets)
    values["lake_datasets"] = list(row.lake_datasets)
    return values
