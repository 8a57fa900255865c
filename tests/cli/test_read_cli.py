"""The read commands: query, symbols, gaps, export and plot, checked by what they write."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from marketlake import Lake
from marketlake.cli import app
from marketlake.mirror import run_mirror
from marketlake.mirror.generate import GeneratedArchive
from tests.lake.gap_support import Job, build_lake

runner = CliRunner(env={"COLUMNS": "200"})
NOW = "2026-11-21"
OUTAGE_FILE = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-03-24.zip"
JOB = Job("spot", "klines", "1m", "BTCUSDT,ETHUSDT", date(2023, 3, 23), date(2023, 3, 25))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A lake of three days of 1m klines (BTCUSDT's middle day has an outage), and its source."""
    root = tmp_path_factory.mktemp("read-cli")
    with run_mirror(GeneratedArchive(now=date(2026, 11, 21), big=False)) as mirror:
        (report,) = build_lake(mirror.base_url, root, [JOB])
        assert report.done == 6
        yield root, mirror.base_url


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _lake_volume(root: Path, symbol: str) -> Decimal:
    """The summed volume, read straight from the Parquet files (not through marketlake)."""
    folder = root / "exchange=binance/market=spot/dataset=klines/interval=1m" / f"symbol={symbol}"
    tables = [pq.read_table(path, columns=["volume"]) for path in sorted(folder.rglob("*.parquet"))]
    return sum((pc.sum(t.column("volume")).as_py() for t in tables), Decimal(0))


def test_query_binds_parameters_and_writes_every_format(served: tuple[Path, str]) -> None:
    root, _ = served
    sql = "SELECT symbol, count(*) AS bars, sum(volume) AS volume FROM spot_klines_1m"
    by_symbol = f"{sql} WHERE symbol = ? GROUP BY symbol"
    rows = json.loads(
        _run("query", by_symbol, "--param", "BTCUSDT", "-f", "json", "--lake", str(root))
    )
    assert rows == [
        {"symbol": "BTCUSDT", "bars": 3 * 1440 - 92, "volume": str(_lake_volume(root, "BTCUSDT"))}
    ]
    injected = _run(
        "query", by_symbol, "-p", "BTCUSDT' OR '1'='1", "-f", "csv", "--lake", str(root)
    )
    assert injected == "symbol,bars,volume\n"  # bound as a value: no such symbol
    every = _run(
        "query", f"{sql} GROUP BY symbol ORDER BY symbol", "-f", "csv", "--lake", str(root)
    )
    assert [r[:2] for r in csv.reader(io.StringIO(every))] == [
        ["symbol", "bars"], ["BTCUSDT", "4228"], ["ETHUSDT", "4320"],
    ]  # fmt: skip
    table = _run("query", f"{sql} GROUP BY symbol ORDER BY symbol", "--lake", str(root))
    assert "BTCUSDT" in table and "4228" in table and "4320" in table


def test_query_to_parquet_needs_a_file(served: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = served
    out = tmp_path / "bars.parquet"
    _run("query", "SELECT count(*) AS n FROM spot_klines_1m", "-f", "parquet", "-o", str(out),
         "--lake", str(root))  # fmt: skip
    assert pq.read_table(out).to_pylist() == [{"n": 8548}]
    refused = runner.invoke(app, ["query", "SELECT 1", "-f", "parquet", "--lake", str(root)])
    assert refused.exit_code == 2
    assert "parquet output needs --out FILE" in refused.output
    bad = runner.invoke(app, ["query", "SELECT * FROM no_such_view", "--lake", str(root)])
    assert bad.exit_code == 2 and "error:" in bad.output


def test_gaps_writes_classified_spans_and_quality(served: tuple[Path, str]) -> None:
    root, url = served
    common = ("--market", "spot", "--dataset", "klines", "--interval", "1m", "--start",
              "2023-03-23", "--end", "2023-03-26", "--now", NOW, "--lake", str(root),
              "--source", url)  # fmt: skip
    spans = json.loads(_run("gaps", *common, "--symbols", "BTCUSDT,ETHUSDT", "-f", "json"))
    assert [(s["symbol"], s["start"], s["end"], s["kind"], s["missing_rows"]) for s in spans] == [
        ("BTCUSDT", "2023-03-24T12:18:00+00:00", "2023-03-24T13:50:00+00:00", "inside_file", 92),
        ("BTCUSDT", "2023-03-26T00:00:00+00:00", "2023-03-27T00:00:00+00:00", "not_ingested", 1440),
        ("ETHUSDT", "2023-03-26T00:00:00+00:00", "2023-03-27T00:00:00+00:00", "not_ingested", 1440),
    ]
    assert spans[0]["keys"] == [OUTAGE_FILE]
    quality = list(csv.DictReader(io.StringIO(_run("gaps", *common, "--symbol", "BTCUSDT",
                                                   "--quality", "-f", "csv"))))  # fmt: skip
    assert [(q["date"], q["rows"], q["expected_rows"], q["missing_rows"]) for q in quality] == [
        ("2023-03-23", "1440", "1440", "0"),
        ("2023-03-24", "1348", "1440", "92"),
        ("2023-03-25", "1440", "1440", "0"),
    ]
    table = _run("gaps", *common, "--symbol", "BTCUSDT")
    assert "inside_file" in table and "BTCUSDT-1m-2023-03-24.zip" in table
    assert "partition quality" in table


def test_gaps_options_come_from_the_config_file_and_environment(
    served: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, url = served
    config = tmp_path / "marketlake.toml"
    config.write_text(
        f'lake = "{root}"\nsource = "{url}"\n'
        '[gaps]\nmarket = "spot"\ndataset = "klines"\ninterval = "1m"\n'
    )
    monkeypatch.setenv("MARKETLAKE_SYMBOLS", "BTCUSDT")
    out = _run("--config", str(config), "gaps", "--start", "2023-03-24", "--end", "2023-03-24",
               "--now", NOW, "-f", "json")  # fmt: skip
    assert [(s["symbol"], s["kind"]) for s in json.loads(out)] == [("BTCUSDT", "inside_file")]


def test_gaps_refuses_an_injected_symbol(served: tuple[Path, str]) -> None:
    root, _ = served
    injected = "BTC'; DROP TABLE partitions; --"
    args = ["gaps", "--market", "spot", "--dataset", "klines", "--symbols", injected]
    result = runner.invoke(app, [*args, "--lake", str(root)])
    assert result.exit_code == 2
    assert "is not an archive symbol" in result.output


def test_symbols_lists_exchange_archive_and_lake_columns(served: tuple[Path, str]) -> None:
    root, url = served
    rows = json.loads(_run("symbols", "--market", "spot", "-f", "json", "--lake", str(root),
                           "--source", url))  # fmt: skip
    by_symbol = {r["symbol"]: r for r in rows}
    btc = by_symbol["BTCUSDT"]
    assert (btc["status"], btc["tick_size"], btc["lot_size"], btc["min_notional"]) == (
        "TRADING", "0.01000000", "0.00001000", "5.00000000",
    )  # fmt: skip
    assert (btc["lake_first"], btc["lake_last"], btc["lake_datasets"]) == (
        "2023-03-23", "2023-03-25", ["klines"],
    )  # fmt: skip
    assert (by_symbol["LUNAUSDT"]["status"], by_symbol["LUNAUSDT"]["delisted"]) == ("BREAK", True)
    text = _run("symbols", "--market", "spot", "--offline", "-f", "csv", "--lake", str(root))
    offline = list(csv.DictReader(io.StringIO(text)))
    assert [(r["symbol"], r["lake_last"], r["info_source"]) for r in offline] == [
        ("BTCUSDT", "2023-03-25", "symbol_name"), ("ETHUSDT", "2023-03-25", "symbol_name"),
    ]  # fmt: skip


def test_export_writes_the_lakes_exact_values(served: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = served
    out_csv, out_parquet = tmp_path / "bars.csv", tmp_path / "bars.parquet"
    args = ("export", "--market", "spot", "--dataset", "klines", "--interval", "4h", "--symbols",
            "BTCUSDT,ETHUSDT", "--start", "2023-03-23", "--end", "2023-03-25",
            "--lake", str(root))  # fmt: skip
    _run(*args, "--out", str(out_csv))
    _run(*args, "-f", "parquet", "--out", str(out_parquet))
    with Lake(root) as lake:
        truth = lake.klines(["BTCUSDT", "ETHUSDT"], market="spot", interval="4h",
                            start="2023-03-23", end="2023-03-25")  # fmt: skip
    assert truth.height == 24
    written = list(csv.DictReader(out_csv.open()))
    assert [(r["symbol"], Decimal(r["close"]), Decimal(r["volume"])) for r in written] == [
        (r["symbol"], r["close"], r["volume"]) for r in truth.iter_rows(named=True)
    ]
    assert pq.read_table(out_parquet).to_pylist() == truth.to_arrow().to_pylist()


def test_plot_candles_writes_a_png_and_a_self_contained_page(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = served
    args = ("plot", "candles", "--market", "spot", "--symbol", "BTCUSDT", "--interval", "1h",
            "--start", "2023-03-23", "--end", "2023-03-26", "--lake", str(root))  # fmt: skip
    png, html = tmp_path / "btc.png", tmp_path / "btc.html"
    _run(*args, "--out", str(png))
    _run(*args, "--out", str(html))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert page.count('class="candle"') == 72 and page.count('class="volume"') == 72


def test_plot_gaps_draws_one_cell_per_symbol_and_day(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    root, url = served
    args = ("plot", "gaps", "--market", "spot", "--dataset", "klines", "--interval", "1m",
            "--symbols", "BTCUSDT,ETHUSDT", "--start", "2023-03-22", "--end", "2023-03-26",
            "--now", NOW, "--lake", str(root), "--source", url)  # fmt: skip
    png, html = tmp_path / "gaps.png", tmp_path / "gaps.html"
    _run(*args, "--out", str(png))
    _run(*args, "--out", str(html))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = html.read_text()
    assert page.count('class="cell"') == 2 * 5
    assert "BTCUSDT 2023-03-24: inside_file, 6% missing" in page
    assert page.count(": not_ingested, 100% missing") == 4  # both symbols, 22nd and 26th
    refused = runner.invoke(app, [*args, "--out", str(tmp_path / "gaps.jpg")])
    assert refused.exit_code == 2 and "must end in .html, .svg, .png" in refused.output
