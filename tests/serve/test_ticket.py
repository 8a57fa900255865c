"""The JSON ticket: what it accepts, what it refuses (and how it says so), and its round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketlake.catalog import Market
from marketlake.errors import TicketError
from marketlake.serve.ticket import MAX_TICKET_BYTES, Ticket, TradeBars, parse_ticket

NOW = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
BTC = {"kind": "symbol", "market": "um", "symbol": "BTCUSDT", "interval": 5}
AGG = {"kind": "aggTrades", "market": "um", "symbol": "BTCUSDT"}


def _parse(**fields: object) -> Ticket:
    return parse_ticket(json.dumps({"v": 1, **fields}).encode(), now=NOW)


def test_a_symbol_ticket_is_typed_and_resolved() -> None:
    ticket = _parse(
        kind="symbol",
        market="um",
        symbols=["BTCUSDT", "ETHUSDT", "BTCUSDT"],
        interval=5,
        offset=2,
        begin="2024-01-01",
        end="2024-01-02T06:00:00+02:00",
        complete_only=True,
    )
    assert ticket == Ticket(
        kind="symbol",
        market=Market.UM,
        dataset="klines",
        symbols=("BTCUSDT", "ETHUSDT"),
        interval="5m",
        offset=timedelta(minutes=2),
        begin=datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime(2024, 1, 2, 4, tzinfo=UTC),
        complete_only=True,
    )


def test_defaults_are_now_and_ninety_days_before() -> None:
    ticket = _parse(kind="market", market="spot", interval="4h")
    assert (ticket.begin, ticket.end) == (NOW - timedelta(days=90), NOW)
    assert (ticket.symbols, ticket.interval, ticket.offset) == (None, "4h", timedelta(0))
    only_begin = _parse(kind="market", market="spot", interval="1d", begin="2024-05-01")
    assert (only_begin.begin, only_begin.end) == (datetime(2024, 5, 1, tzinfo=UTC), NOW)
    only_end = _parse(kind="market", market="spot", interval=60, end=1_704_067_200_000)
    assert only_end.end == datetime(2024, 1, 1, tzinfo=UTC)
    assert only_end.begin == datetime(2024, 1, 1, tzinfo=UTC) - timedelta(days=90)


def test_dataset_kinds_exginfo_and_other_kline_datasets() -> None:
    funding = _parse(kind="fundingRate", market="um", symbol="BTCUSDT")
    assert (funding.dataset, funding.symbols, funding.interval) == (
        "fundingRate",
        ("BTCUSDT",),
        None,
    )
    assert _parse(kind="exginfo", market="cm") == Ticket(kind="exginfo", market=Market.CM)
    mark = _parse(
        kind="symbol", market="um", symbol="BTCUSDT", dataset="markPriceKlines", interval="1h"
    )
    assert (mark.dataset, mark.interval) == ("markPriceKlines", "1h")
    klines = _parse(kind="klines", market="um", interval="15m")
    assert (klines.dataset, klines.symbols) == ("klines", None)


def test_trades_tickets_may_ask_for_bars() -> None:
    time_bars = _parse(**AGG, bars={"by": "time", "size": 15}, offset="5m", begin="2024-01-01")
    assert time_bars.bars == TradeBars("time", "15m")
    assert (time_bars.interval, time_bars.offset) == (None, timedelta(minutes=5))
    volume = _parse(**{**AGG, "kind": "trades"}, bars={"by": "volume", "size": "250.5"})
    assert (volume.dataset, volume.bars) == ("trades", TradeBars("volume", "250.5"))
    assert _parse(**AGG, bars={"by": "volume", "size": 300}).bars == TradeBars("volume", "300")
    ticks = _parse(**AGG, bars={"by": "tick", "size": 1000})
    assert ticks.bars == TradeBars("tick", 1000)
    assert ticks.bars.to_bars().count == 1000
    for ticket in (time_bars, volume, ticks):
        assert parse_ticket(ticket.to_json(), now=NOW) == ticket


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**BTC, "sql": "x"}, "unknown ticket field"),
        ({"kind": "exginfo", "market": "um", "symbol": "BTCUSDT"}, "unknown ticket field"),
        ({"kind": "fundingRate", "market": "um", "interval": 5}, "unknown ticket field"),
        ({**BTC, "kind": "market"}, "unknown ticket field"),
        ({"kind": "drop table", "market": "um"}, "unknown ticket kind"),
        ({**BTC, "market": "nasdaq"}, "unknown market"),
        ({"kind": "symbol", "market": "um", "interval": 1}, 'needs "symbol"'),
        ({**BTC, "symbol": "BTC'; DROP TABLE x; --"}, "is not a symbol"),
        ({**BTC, "symbols": ["X"]}, "not both"),
        ({"kind": "symbol", "market": "um", "symbols": [], "interval": 1}, "non-empty list"),
        ({"kind": "symbol", "market": "um", "symbol": "BTCUSDT"}, 'needs "interval"'),
        ({**BTC, "interval": 61}, "out of range"),
        ({**BTC, "interval": 0}, "out of range"),
        ({**BTC, "interval": True}, "not valid"),
        ({**BTC, "interval": "4 hours"}, "not valid"),
        ({**BTC, "offset": 5}, "shorter than"),
        ({**BTC, "offset": -1}, "offset"),
        ({**BTC, "begin": "yesterday"}, "not an ISO-8601"),
        ({**BTC, "begin": "2024-02-01", "end": "2024-01-01"}, "before end"),
        ({**BTC, "end": 10**20}, "out of range"),
        ({**BTC, "complete_only": "yes"}, "true or false"),
        ({**BTC, "dataset": "trades"}, "kline datasets"),
        ({"kind": "fundingRate", "market": "spot"}, "does not exist in market"),
        ({**BTC, "v": 2}, '"v": 1'),
        ({**AGG, "bars": {"by": "dollar", "size": 5}}, "time, volume or tick"),
        ({**AGG, "bars": {"by": "time"}}, '"bars" must be'),
        ({**AGG, "bars": {"by": "time", "size": 5, "x": 1}}, '"bars" must be'),
        ({**AGG, "bars": "5m"}, '"bars" must be'),
        ({**AGG, "bars": {"by": "time", "size": "5 minutes"}}, "not valid"),
        ({**AGG, "bars": {"by": "volume", "size": 2.5}}, "as a string"),
        ({**AGG, "bars": {"by": "volume", "size": "1e3"}}, "as a string"),
        ({**AGG, "bars": {"by": "volume", "size": "0"}}, "must be positive"),
        ({**AGG, "bars": {"by": "tick", "size": "100"}}, "integer count"),
        ({**AGG, "bars": {"by": "tick", "size": 0}}, "1..10,000,000"),
        ({**AGG, "bars": {"by": "tick", "size": 100}, "offset": 1}, '"offset" needs an interval'),
        ({**AGG, "offset": 1}, '"offset" needs an interval'),
        ({**AGG, "bars": {"by": "time", "size": "1h"}, "offset": "1h"}, "shorter than"),
        ({"kind": "metrics", "market": "um", "bars": {"by": "tick", "size": 9}}, "unknown ticket"),
    ],
)  # fmt: skip
def test_bad_tickets_are_refused_naming_the_problem(body: dict[str, object], message: str) -> None:
    with pytest.raises(TicketError, match=message):
        parse_ticket(json.dumps({"v": 1, **body}).encode(), now=NOW)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"SELECT * FROM klines", "not UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"kind": "exginfo", "market": "um"}', '"v": 1'),
        (b'{"v": 1, "kind": "exginfo", "market": "um", "market": "spot"}', "repeats field"),
        (b'{"v": 1, "kind": "exginfo", "market": "' + b"x" * MAX_TICKET_BYTES + b'"}', "limit"),
    ],
)
def test_malformed_and_oversized_tickets_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(TicketError, match=message):
        parse_ticket(raw, now=NOW)


def test_too_many_symbols_are_refused() -> None:
    symbols = [f"S{i}USDT" for i in range(2001)]
    raw = json.dumps({"v": 1, "kind": "symbol", "market": "um", "symbols": symbols, "interval": 1})
    with pytest.raises(TicketError, match="limit is 2000"):
        parse_ticket(raw.encode(), now=NOW)


_SYMBOL = st.from_regex(r"[A-Z0-9]{2,12}(USDT|_PERP)?", fullmatch=True)
_MOMENT = st.datetimes(
    min_value=datetime(2017, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@st.composite
def _tickets(draw: st.DrawFn) -> Ticket:
    begin = draw(_MOMENT)
    end = begin + draw(
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=900))
    )
    interval_minutes = draw(st.integers(1, 60))
    offset = timedelta(minutes=draw(st.integers(0, interval_minutes - 1)))
    kind = draw(st.sampled_from(["symbol", "market"]))
    symbols = tuple(dict.fromkeys(draw(st.lists(_SYMBOL, min_size=1, max_size=4))))
    return Ticket(
        kind=kind,
        market=draw(st.sampled_from([Market.SPOT, Market.UM, Market.CM])),
        dataset="klines",
        symbols=symbols if kind == "symbol" else None,
        interval=f"{interval_minutes}m",
        offset=offset,
        begin=begin,
        end=end,
        complete_only=draw(st.booleans()),
    )


@given(_tickets())
def test_a_ticket_survives_its_json_round_trip(ticket: Ticket) -> None:
    assert parse_ticket(ticket.to_json(), now=NOW) == ticket
