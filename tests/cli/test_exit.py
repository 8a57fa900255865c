"""``python -m marketlake ingest`` ends without interpreter teardown, losing nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import atexit, sys
from pathlib import Path
from marketlake.cli._exit import exit_at_once

atexit.register(lambda: Path(sys.argv[1]).write_text("exit handlers ran"))

def main():
    sys.stdout.write("buffered, no newline")
    sys.stderr.write("to stderr")
    {ending}

exit_at_once(main)
"""


@pytest.mark.parametrize(
    ("ending", "code"),
    [("pass", 0), ("sys.exit(3)", 3), ("raise SystemExit", 0), ("sys.exit('bad: stop')", 1)],
    ids=["return", "exit-3", "bare-exit", "exit-message"],
)
def test_the_exit_code_output_and_exit_handlers_survive(
    tmp_path: Path, ending: str, code: int
) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(ending=ending)))
    marker = tmp_path / "marker"
    done = subprocess.run(
        [sys.executable, str(script), str(marker)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code
    assert done.stdout == "buffered, no newline"
    assert done.stderr.startswith("to stderr")
    assert ("bad: stop" in done.stderr) == (code == 1)
    assert marker.read_text() == "exit handlers ran"


def test_a_thread_still_running_gets_a_normal_exit(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import threading, time, sys\n"
        "from marketlake.cli._exit import exit_at_once\n"
        "def work():\n    time.sleep(0.3)\n    print('thread finished', flush=True)\n"
        "def main():\n    threading.Thread(target=work).start()\n    sys.exit(4)\n"
        "exit_at_once(main)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4
    assert done.stdout == "thread finished\n"
