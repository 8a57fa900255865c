"""What each process of an ingest imports: the fork server starts before the heavy imports,
the server preloads the decoder without numpy, workers do not import asyncio, and the parent
does not import the decoder."""

from __future__ import annotations

import ast
import subprocess
import sys

HEAVY = ("asyncio", "pyarrow", "typer", "rich", "marketlake.catalog", "marketlake.cli")


def _imported_after(code: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after running ``code``."""
    script = f"import sys\n{code}\nprint(sorted(n for n in {names!r} if n in sys.modules))\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    names_found: list[str] = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    return names_found


def test_starting_the_fork_server_imports_nothing_heavy() -> None:
    code = "import marketlake._entry\nimport marketlake.ingest.forkserver"
    assert _imported_after(code, HEAVY) == []


def test_the_fork_servers_preload_leaves_asyncio_out() -> None:
    code = (
        "from marketlake.ingest.forkserver import PRELOAD_MODULES\n"
        "for name in PRELOAD_MODULES:\n"
        "    __import__(name)"
    )
    assert _imported_after(code, ("asyncio", "pyarrow.parquet", "marketlake.ingest.write")) == [
        "marketlake.ingest.write",
        "pyarrow.parquet",
    ]


def test_a_workers_answer_unpickles_without_the_decoder() -> None:
    code = (
        "import pickle\n"
        "from pathlib import PurePosixPath\n"
        "from marketlake.ingest.worker import DecodeOutcome\n"
        "from marketlake.ingest.written import WrittenPartition\n"
        "done = WrittenPartition((PurePosixPath('a.parquet'),), 3, 3, None, None, 10)\n"
        "data = pickle.dumps(DecodeOutcome(done))\n"
        "assert pickle.loads(data).written == done"
    )
    decoder = ("marketlake.ingest.write", "marketlake.ingest.decode", "pyarrow")
    assert _imported_after(code, decoder) == []


def test_the_command_is_found_after_root_options_and_their_values() -> None:
    from marketlake._entry import first_command

    assert first_command(["--log-level", "DEBUG", "ingest", "--dry-run"]) == "ingest"
    assert first_command(["--config", "ingest", "status"]) == "status"
    assert first_command(["--help"]) is None


def test_the_decoder_loads_without_numpy_and_leaves_it_importable() -> None:
    code = (
        "import marketlake.ingest.preload\n"
        "loaded_with_numpy = 'numpy' in sys.modules\n"
        "import numpy\n"
        "assert not loaded_with_numpy and numpy.int64(2) * 3 == 6"
    )
    assert _imported_after(code, ("pyarrow.parquet", "marketlake.ingest.write")) == [
        "marketlake.ingest.write",
        "pyarrow.parquet",
    ]
