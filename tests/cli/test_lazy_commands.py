"""The command line imports only the command it runs; ``--help`` and tests see them all."""

from __future__ import annotations

import subprocess
import sys

import typer.core
import typer.main

from marketlake.cli import COMMANDS, build_app, full_app, requested_command


def _command_names(app: typer.Typer) -> set[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return set(group.commands)


def test_the_command_is_found_after_root_options_and_their_values() -> None:
    assert requested_command(["--log-level", "INFO", "ingest", "--market", "um"]) == "ingest"
    assert requested_command(["--config", "status", "gaps"]) == "gaps"
    assert requested_command(["--log-format", "json", "warehouse", "sync"]) == "warehouse"


def test_no_known_command_means_every_command() -> None:
    assert requested_command([]) is None
    assert requested_command(["--help"]) is None
    assert requested_command(["injest"]) is None


def test_an_app_for_one_command_holds_that_command_only() -> None:
    assert _command_names(build_app("status")) == {"status"}
    assert _command_names(build_app("flight")) == {"flight"}


def test_the_full_app_holds_every_command() -> None:
    assert _command_names(full_app()) == set(COMMANDS)


def test_a_command_run_from_the_shell_does_not_import_the_others() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['marketlake', '--log-level', 'WARNING', 'db', '--help']\n"
        "from marketlake.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('marketlake.cli.')"
        " and not m.startswith('marketlake.cli._')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "['marketlake.cli.db']"
