"""``marketlake warehouse sync | status | query`` end to end on a lake written by ingest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from marketlake.cli import app
from tests.warehouse.lakes import ingest_from, kline_days, publish

DAYS = kline_days("BTCUSDT", date(2024, 1, 1), 2)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_sync_status_query(tmp_path: Path) -> None:
    for key in DAYS:
        publish(tmp_path / "archive", key)
    lake = tmp_path / "lake"
    ingest_from(tmp_path / "archive", lake, DAYS)

    code, out = run("warehouse", "status", "--lake", str(lake))
    assert code == 0, out
    assert "um_klines_1m" in out and "2,880" in out  # pending: nothing loaded yet

    code, out = run("warehouse", "sync", "--lake", str(lake), "--rollups")
    assert code == 0, out
    assert "loaded 2 partitions (2,880 rows" in out
    assert "um_klines_1m_hourly" in out
    code, out = run("warehouse", "sync", "--lake", str(lake))
    assert (code, "nothing to do" in out) == (0, True)

    sql = (
        "SELECT symbol, count() AS bars, min(open) AS low_open FROM um_klines_1m"
        " WHERE symbol = {s:String} GROUP BY symbol"
    )
    code, out = run(
        "warehouse", "query", sql, "-p", "s=BTCUSDT", "--format", "json", "--lake", str(lake)
    )
    assert code == 0, out
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["symbol"], row["bars"]) == ("BTCUSDT", 2880)
    code, out = run("warehouse", "query", "SELECT count() AS n FROM um_klines_1m_daily",
                    "--format", "csv", "--lake", str(lake))  # fmt: skip
    assert (code, out) == (0, "n\n2\n")


def test_errors_exit_with_a_message(tmp_path: Path) -> None:
    code, out = run("warehouse", "query", "SELECT 1", "--lake", str(tmp_path))
    assert code == 1
    assert "run `marketlake warehouse sync` first" in out
    code, out = run("warehouse", "sync", "--lake", str(tmp_path), "--dsn", "ftp://x")
    assert code == 1
    assert "unusable warehouse DSN" in out
    code, out = run("warehouse", "query", "SELECT 1", "--format", "xml", "--lake", str(tmp_path))
    assert (code, "--format 'xml'" in out) == (1, True)
