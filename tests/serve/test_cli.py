"""``marketlake serve`` as a real process; ``marketlake flight ...`` quick queries against it."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from marketlake.cli import app
from marketlake.lake.sdk import Lake

runner = CliRunner()
SECRET = "cli-secret"


@dataclass(frozen=True)
class ServeProcess:
    """A ``marketlake serve`` subprocess and the URI it printed."""

    process: subprocess.Popen[str]
    uri: str
    log: Path

    @property
    def port(self) -> str:
        """The port, as text for the command line."""
        return self.uri.rsplit(":", 1)[1]


@pytest.fixture(scope="module")
def serving(served_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """``marketlake serve --port 0`` over the test lake, with a token (from the environment)."""
    log = tmp_path_factory.mktemp("serve-cli") / "stderr"
    stderr = log.open("w")
    argv = [sys.executable, "-m", "marketlake", "--log-format", "json", "serve",
            "--lake", str(served_lake), "--port", "0", "--offline"]  # fmt: skip
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**_environment(), "MARKETLAKE_FLIGHT_TOKEN": SECRET},
    )
    assert process.stdout is not None
    uri = process.stdout.readline().strip()
    assert uri.startswith("grpc+tcp://127.0.0.1:"), uri
    yield ServeProcess(process, uri, log)
    if process.poll() is None:
        process.kill()
    stderr.close()


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """The CLI points marketlake's log handler at the runner's stream; put it back after."""
    logger = logging.getLogger("marketlake")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MARKETLAKE_")}


def _flight(serving: ServeProcess, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["flight", "--port", serving.port, "--token", SECRET, *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_ping_list_ready_actions_schema(serving: ServeProcess) -> None:
    code, output = _flight(serving, "ping")
    assert (code, output.startswith("ok: marketlake 0.1.0, server time ")) == (0, True)
    code, output = _flight(serving, "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert {r["name"]: int(r["rows"]) for r in rows}["um/klines/1m"] == 89280
    code, output = _flight(serving, "ready", "um")
    assert code == 0
    assert "um/klines/1m\trows=89280\tlast=2024-01-31T23:59:00+00:00" in output
    assert output.rstrip().endswith("um: ready")
    assert _flight(serving, "ready", "option") == (1, "option: no data\n")
    code, output = _flight(serving, "actions")
    assert [line.split("\t")[0] for line in output.splitlines()] == [
        "ping",
        "ready",
        "list_actions",
    ]
    code, output = _flight(serving, "schema", "um/klines/4h")
    assert "open: decimal128(18, 8)" in output


def test_symbol_market_and_get_print_the_sdk_values(
    serving: ServeProcess, served_lake: Path, tmp_path: Path
) -> None:
    with Lake(served_lake) as lake:
        expected = lake.klines("BTCUSDT", interval="1h", start="2024-01-02", end="2024-01-03")
    code, output = _flight(
        serving, "symbol", "um", "BTCUSDT", "60", "--begin", "2024-01-02", "--end", "2024-01-03",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert len(rows) == 24
    assert [r["close"] for r in rows] == [str(v) for v in expected["close"].to_list()]
    out = tmp_path / "four-hours.parquet"
    code, output = _flight(
        serving, "market", "um", "4h", "--begin", "2024-01-01", "--end", "2024-01-02",
        "--format", "parquet", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    assert pl.read_parquet(out).height == 12
    ticket = {"v": 1, "kind": "fundingRate", "market": "um", "begin": "2024-01-01",
              "end": "2024-01-02"}  # fmt: skip
    code, output = _flight(serving, "get", json.dumps(ticket), "--format", "json")
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["calc_time"][:19] for line in lines] == [
        "2024-01-01T00:00:00", "2024-01-01T08:00:00", "2024-01-01T16:00:00",
    ]  # fmt: skip


def test_bars_prints_the_sdks_trade_bars(serving: ServeProcess, served_lake: Path) -> None:
    with Lake(served_lake) as lake:
        expected = lake.bars("BTCUSDT", volume="100", start="2024-01-01", end="2024-01-02")
    code, output = _flight(
        serving, "bars", "um", "BTCUSDT", "--volume", "100", "--begin", "2024-01-01",
        "--end", "2024-01-02", "--format", "csv",
    )  # fmt: skip
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert len(rows) == expected.height > 1
    assert [r["volume"] for r in rows] == [str(v) for v in expected["volume"].to_list()]
    code, output = _flight(serving, "bars", "um", "BTCUSDT", "--ticks", "5", "--volume", "1")
    assert code != 0
    assert "exactly one of" in output


def test_errors_exit_non_zero_with_the_message(serving: ServeProcess) -> None:
    code, output = _flight(serving, "symbol", "um", "BTCUSDT", "61")
    assert code == 1
    assert "interval 61 minutes is out of range" in output
    result = runner.invoke(app, ["flight", "--port", serving.port, "ping"])
    assert result.exit_code == 1
    assert "needs a bearer token" in result.output


def test_sigterm_stops_the_server_and_each_request_was_logged(
    serving: ServeProcess, served_lake: Path
) -> None:
    _flight(serving, "symbol", "um", "ETHUSDT", "5", "--begin", "2024-01-05", "--end", "2024-01-06")
    serving.process.send_signal(signal.SIGTERM)
    assert serving.process.wait(20) == 0
    logs = [json.loads(line) for line in serving.log.read_text().splitlines()]
    requests = [line["message"] for line in logs if line["logger"] == "marketlake.serve.server"]
    assert any(m.startswith("do_get symbol um klines ETHUSDT 5m rows=288 ms=") for m in requests)
    assert all(" ms=" in m for m in requests if not m.startswith("serving "))
