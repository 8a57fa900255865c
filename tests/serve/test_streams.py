"""Streams: large answers in many batches, clients that vanish mid-stream, 8 clients at once."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from marketlake.errors import MarketlakeError
from marketlake.lake.sdk import Lake
from marketlake.serve import RunningServer, ServeConfig, start_server
from marketlake.serve.client import FlightClient
from marketlake.settings import Settings

MONTH = {"v": 1, "kind": "market", "market": "um", "interval": 1}
MONTH_RANGE = {"begin": "2024-01-01", "end": "2024-02-01"}
MONTH_ROWS = 2 * 31 * 1440
SYMBOL_MONTH_ROWS = 31 * 1440
BTC_MONTH = {"v": 1, "kind": "symbol", "market": "um", "interval": 1, "symbols": ["BTCUSDT"]}


@pytest.fixture(scope="module")
def small_pieces(lake_settings: Settings) -> Iterator[RunningServer]:
    """A server whose read path holds at most one symbol-day of stored rows at a time."""
    with start_server(ServeConfig(lake_settings, port=0, read_rows=1440)) as running:
        yield running


def test_a_large_answer_streams_in_many_batches(
    small_pieces: RunningServer, lake_settings: Settings
) -> None:
    with FlightClient("127.0.0.1", small_pieces.port) as client:
        batches = list(client.stream({**MONTH, **MONTH_RANGE}))
    assert len(batches) >= 62
    assert max(b.num_rows for b in batches) <= 1440
    served = pl.from_arrow(batches)
    assert isinstance(served, pl.DataFrame)
    with Lake.from_settings(lake_settings) as lake:
        expected = lake.klines(None, interval="1m", start="2024-01-01", end="2024-02-01")
    assert served.height == expected.height == MONTH_ROWS
    assert served.equals(expected)


_VANISHING_CLIENT = """
import json, time
from pyarrow import flight
client = flight.connect("grpc+tcp://127.0.0.1:{port}")
reader = client.do_get(flight.Ticket(json.dumps({ticket}).encode()))
print(reader.read_chunk().data.num_rows, flush=True)
time.sleep(120)
"""


def test_the_server_survives_a_client_killed_mid_stream(
    small_pieces: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="marketlake.serve.server")
    ticket = {**MONTH, **MONTH_RANGE}
    script = _VANISHING_CLIENT.format(port=small_pieces.port, ticket=ticket)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert int(process.stdout.readline()) > 0  # the stream has started
    process.kill()
    process.wait()
    ended = _wait_for(lambda: _request_lines(caplog))
    assert len(ended) == 1
    assert ended[0].startswith("do_get market um klines * 1m rows=")
    assert ended[0].endswith(" cancelled")
    assert int(ended[0].split("rows=")[1].split()[0]) < MONTH_ROWS
    with FlightClient("127.0.0.1", small_pieces.port) as client:  # still serving, in full
        assert client.read(ticket).height == MONTH_ROWS


def test_a_client_that_stops_reading_early_does_not_disturb_others(
    small_pieces: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="marketlake.serve.server")
    with FlightClient("127.0.0.1", small_pieces.port) as quitter:
        stream = quitter.stream({**MONTH, **MONTH_RANGE})
        assert next(stream).num_rows > 0
        with FlightClient("127.0.0.1", small_pieces.port) as other:
            day = other.get_symbol("um", "BTCUSDT", 1, 0, "2024-01-05", "2024-01-06")
        stream.close()
    assert day.height == 1440
    # The server ends the stream on its own threads, after the client is gone: wait for it
    # here, or its line lands in the next test's log (it did, failing that test's checks).
    ended = _wait_for(lambda: [s for s in _request_lines(caplog) if s.startswith("do_get market")])
    assert len(ended) == 1
    assert ended[0].endswith((" cancelled", " ok"))  # ok: all was sent before the client quit


def test_a_lake_failing_mid_stream_fails_that_stream_only(
    lake_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="marketlake.serve.server")
    copy = tmp_path / "lake"
    shutil.copytree(lake_settings.lake, copy)
    config = ServeConfig(replace(lake_settings, lake=copy), port=0, read_rows=1440)
    with start_server(config) as running, FlightClient("127.0.0.1", running.port) as client:
        eth = client.get_symbol("um", "ETHUSDT", 1, 0, "2024-01-01", "2024-02-01")
        assert eth.height == SYMBOL_MONTH_ROWS  # ETHUSDT's files are now in the server's cache
        # Gone before the stream starts: a server reads ahead as far as gRPC's flow control
        # lets it (on a loaded machine, the whole month), so files removed after the first
        # batch may never be read again. The stream reads BTCUSDT's month first, so it starts
        # and sends all of it, then fails where ETHUSDT's rows begin.
        for path in copy.rglob("symbol=ETHUSDT/**/*.parquet"):
            path.unlink()
        with FlightClient("127.0.0.1", running.port) as other:
            healthy = other.stream({**BTC_MONTH, **MONTH_RANGE})  # open across the failure
            healthy_rows = next(healthy).num_rows
            stream = client.stream({**MONTH, **MONTH_RANGE})
            first = next(stream)
            assert first.column("symbol")[0].as_py() == "BTCUSDT"
            sent = first.num_rows
            with pytest.raises(MarketlakeError, match=r"ETHUSDT-1m-2024-01\.parquet is gone"):
                for batch in stream:
                    sent += batch.num_rows
            healthy_rows += sum(batch.num_rows for batch in healthy)
        assert sent == SYMBOL_MONTH_ROWS  # every BTCUSDT row, then the error
        assert healthy_rows == SYMBOL_MONTH_ROWS
        failed = _wait_for(lambda: [s for s in _request_lines(caplog) if s.endswith(" failed")])
        assert len(failed) == 1
        assert failed[0].startswith(f"do_get market um klines * 1m rows={SYMBOL_MONTH_ROWS} ")
        assert client.get_symbol("um", "BTCUSDT", 60, 0, "2024-01-02", "2024-01-03").height == 24
    ended = {  # what + outcome of each call (a stream another test cancelled may end late)
        line.split(" rows=")[0]: line.rsplit(" ", 1)[1]
        for line in _request_lines(caplog)
        if not line.endswith(" cancelled")
    }
    assert ended == {
        "do_get symbol um klines ETHUSDT 1m": "ok",
        "do_get market um klines * 1m": "failed",
        "do_get symbol um klines BTCUSDT 1m": "ok",  # the stream open across the failure
        "do_get symbol um klines BTCUSDT 60m": "ok",
    }


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The server's one line per ``do_get``, in the order the calls ended.

    ``getMessage()``, not ``record.message``: caplog lists a record from a server thread
    before it formats it (which sets ``.message``).
    """
    server = "marketlake.serve.server"
    messages = [r.getMessage() for r in list(caplog.records) if r.name == server]
    return [message for message in messages if message.startswith("do_get ")]


def _wait_for(found: Callable[[], list[str]], seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.05)
    return found()


REQUESTS: list[Callable[[FlightClient], pl.DataFrame]] = [
    lambda c: c.get_symbol("um", "BTCUSDT", 5, 0, "2024-01-01", "2024-01-08"),
    lambda c: c.get_symbol("um", "ETHUSDT", "4h", 0, "2024-01-01", "2024-02-01"),
    lambda c: c.get_market("um", 15, 5, "2024-01-10", "2024-01-20"),
    lambda c: c.get_market("um", 1, 0, "2024-01-01", "2024-01-11"),
    lambda c: c.get_dataset("um", "fundingRate", "BTCUSDT", "2024-01-01", "2024-02-01"),
    lambda c: c.get_dataset("um", "metrics", None, "2024-01-01", "2024-01-02"),
    lambda c: c.get_symbol("spot", "BTCUSDT", "1h", 0, "2024-01-01", "2024-01-02"),
    lambda c: c.get_symbol("um", ["BTCUSDT", "ETHUSDT"], "1d", 0, "2024-01-01", "2024-02-01"),
]


def test_eight_clients_at_once_get_what_each_gets_alone(server: RunningServer) -> None:
    with FlightClient("127.0.0.1", server.port) as client:
        alone = [request(client) for request in REQUESTS]
    together: list[pl.DataFrame | None] = [None] * len(REQUESTS)
    failures: list[BaseException] = []
    start = threading.Barrier(len(REQUESTS))

    def run(index: int) -> None:
        try:
            with FlightClient("127.0.0.1", server.port) as own:
                start.wait()
                for _ in range(3):
                    together[index] = REQUESTS[index](own)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(REQUESTS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    for index, frame in enumerate(together):
        assert frame is not None and frame.height == alone[index].height > 0
        assert frame.equals(alone[index])
