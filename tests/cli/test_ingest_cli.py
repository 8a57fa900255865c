"""``marketlake ingest`` from the command line: options, config file, environment, reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketlake.cli import app
from marketlake.mirror import OverlayContent, run_mirror
from tests.support.truth import SAMPLES

runner = CliRunner()


@pytest.fixture(scope="module")
def mirror_url() -> Iterator[str]:
    with run_mirror(OverlayContent(SAMPLES)) as mirror:
        yield mirror.base_url


def _report(lake: Path) -> dict[str, object]:
    (path,) = sorted((lake / "_runs").glob("*.json"))
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_ingest_then_rerun_says_nothing_to_do(mirror_url: str, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    args = ["ingest", "--market", "spot", "--dataset", "klines", "--interval", "1m",
            "--symbols", "BTCUSDT", "--lake", str(lake), "--source", mirror_url,
            "--workers", "1"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ingested 3 partitions: 3 done, 0 failed" in first.output
    summary = next(line for line in first.output.splitlines() if line.startswith("ingested"))
    assert summary.endswith(" s")  # the whole summary on one line, not cut at 80 columns
    assert "4,320 rows" in summary
    report = _report(lake)
    assert (report["done"], report["rows"], report["market"]) == (3, 3 * 1440, "spot")
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert "nothing to do: 3 partitions already done" in second.output


def test_options_come_from_config_file_then_environment_then_flags(
    mirror_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "from-config"
    config = tmp_path / "marketlake.toml"
    config.write_text(
        f'lake = "{lake}"\nsource = "{mirror_url}"\nworkers = 1\n'
        '[ingest]\nmarket = "um"\ndataset = "klines"\ninterval = "1m"\nsymbols = "ETHUSDT"\n'
    )
    monkeypatch.setenv("MARKETLAKE_SYMBOLS", "BTCUSDT")
    result = runner.invoke(
        app, ["--config", str(config), "ingest", "--dry-run", "--start", "2023-04-15"]
    )
    assert result.exit_code == 0, result.output
    assert "would ingest 1 partitions" in result.output
    report = _report(lake)
    assert (report["market"], report["dataset"], report["dry_run"]) == ("um", "klines", True)
    assert report["planned"] == 1  # BTCUSDT (environment beat the file), from 2023-04-15 (flag)


def test_a_failed_partition_exits_1_and_a_bad_option_exits_2(tmp_path: Path) -> None:
    with run_mirror(OverlayContent(SAMPLES), faults="bad_checksum=1") as mirror:
        failed = runner.invoke(app, ["ingest", "--market", "um", "--dataset", "bookDepth",
                                     "--symbols", "BTCUSDT", "--lake", str(tmp_path),
                                     "--source", mirror.base_url, "--workers", "1"])  # fmt: skip
    assert failed.exit_code == 1
    assert "failed data/futures/um/daily/bookDepth/BTCUSDT/" in failed.output
    bad = runner.invoke(app, ["ingest", "--market", "mars", "--dataset", "klines"])
    assert bad.exit_code == 2
    assert "unknown market 'mars'" in bad.output
