"""``marketlake mirror serve`` in its own process and ``marketlake mirror ls``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from marketlake.cli import app
from tests.mirror.server_support import SAMPLES

CLI = Path(sys.executable).parent / "marketlake"
SAMPLE_ZIP = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip"


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), "mirror", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_prints_its_url_serves_and_stops_cleanly_on_sigint() -> None:
    """SIGTERM is covered by the generated-archive CLI test."""
    process = _serve("--overlay", str(SAMPLES), "--overlay-only", "--faults", "5xx=0")
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base_url}/{SAMPLE_ZIP}", timeout=10)
        assert response.content == (SAMPLES / SAMPLE_ZIP).read_bytes()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url, timeout=2)


def test_serve_reports_bad_faults_without_a_traceback() -> None:
    result = CliRunner().invoke(
        app, ["mirror", "serve", "--overlay", str(SAMPLES), "--overlay-only", "--faults", "x=1"]
    )
    assert result.exit_code == 1
    assert "unknown fault 'x'" in result.output


def test_serve_rejects_a_bad_date() -> None:
    result = CliRunner().invoke(app, ["mirror", "serve", "--now", "2024-13-01"])
    assert result.exit_code == 2


def test_ls_lists_folders_then_files() -> None:
    runner = CliRunner()
    folders = runner.invoke(
        app,
        ["mirror", "ls", "data/spot/daily/klines/", "--overlay", str(SAMPLES), "--overlay-only"],
    )
    assert folders.exit_code == 0, folders.output
    assert folders.output.split() == [
        "PRE",
        "data/spot/daily/klines/ADABTC/",
        "PRE",
        "data/spot/daily/klines/BTCUSDT/",
    ]
    options = ["--overlay", str(SAMPLES), "--overlay-only", "-r"]
    files = runner.invoke(app, ["mirror", "ls", "data/spot/daily/klines/BTCUSDT/1m/", *options])
    lines = files.output.splitlines()
    assert len(lines) == 6
    size = (SAMPLES / SAMPLE_ZIP).stat().st_size
    assert lines[0].split()[1:] == [str(size), SAMPLE_ZIP]
