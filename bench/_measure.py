"""Measuring helpers shared by the ingest benchmarks: timed commands, RSS, medians, results.

A command runs as a subprocess while a thread samples its whole process tree (the command,
the forkserver and every decode worker) with psutil every 50 ms: the peak of the summed
RSS, each process's own peak RSS (``VmHWM``) and its CPU time. Results are written as JSON
under ``bench/results/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = RESULTS_DIR / "cache"
SAMPLE_SECONDS = 0.05
MIB = 1024 * 1024


@dataclass(frozen=True)
class TreeUsage:
    """What sampling a process tree saw: peak summed RSS, summed per-process peaks, CPU.

    ``root_cpu_seconds`` is the command's own process (for an ingest: listing, HTTP,
    verifying, handing files to workers, the manifest); the rest of ``cpu_seconds`` is its
    descendants' (the decode workers, the forkserver and the resource tracker).
    """

    peak_tree_rss: int
    sum_process_peaks: int
    cpu_seconds: float
    root_cpu_seconds: float
    processes: int


@dataclass(frozen=True)
class CommandRun:
    """One timed command: wall seconds, its tree's usage, exit code and output."""

    argv: tuple[str, ...]
    wall_seconds: float
    usage: TreeUsage
    returncode: int
    stdout: str
    stderr: str


class TreeSampler:
    """Samples the RSS and CPU of a process and all its descendants from a thread."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._peak_tree = 0
        self._peaks: dict[int, int] = {}
        self._cpu: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def usage(self) -> TreeUsage:
        """The usage seen so far."""
        return TreeUsage(
            peak_tree_rss=self._peak_tree,
            sum_process_peaks=sum(self._peaks.values()),
            cpu_seconds=sum(self._cpu.values()),
            root_cpu_seconds=self._cpu.get(self._pid, 0.0),
            processes=len(self._peaks),
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)

    def sample(self) -> None:
        """Read every process of the tree once."""
        total = 0
        for process in _tree(self._pid):
            try:
                with process.oneshot():
                    rss = process.memory_info().rss
                    cpu = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            peak = _peak_rss(process.pid)
            self._peaks[process.pid] = max(self._peaks.get(process.pid, 0), peak or rss)
            self._cpu[process.pid] = cpu.user + cpu.system
        self._peak_tree = max(self._peak_tree, total)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _peak_rss(pid: int) -> int | None:
    """The process's own peak RSS (Linux ``VmHWM``), or None where unavailable."""
    try:
        with Path(f"/proc/{pid}/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_measured(argv: Sequence[str], *, cwd: Path | None = None) -> CommandRun:
    """Run ``argv`` to completion, sampling its process tree."""
    start = time.perf_counter()
    with subprocess.Popen(
        list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        with TreeSampler(process.pid) as sampler:
            stdout, stderr = process.communicate()
        wall = time.perf_counter() - start
    return CommandRun(tuple(argv), wall, sampler.usage(), process.returncode, stdout, stderr)


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (0 if it is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


_PROBE_ADDS = 2_000_000
_PROBE_BYTES = 32 * 10**6


def _python_loop() -> float:
    """Millions of additions a pure-Python loop does (one core's interpreter speed)."""
    total = 0
    for value in range(_PROBE_ADDS):
        total += value
    return _PROBE_ADDS / 1e6


def _sha256() -> float:
    """MB hashed by sha256 (one core's native speed, as ingest verifies every zip)."""
    import hashlib

    hashlib.sha256(bytes(_PROBE_BYTES)).digest()
    return _PROBE_BYTES / 1e6


def _best_rate(probe: Callable[[], float], runs: int = 3) -> float:
    """Work per second of ``probe``'s fastest run (the least disturbed by other load)."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        work = probe()
        rates.append(work / (time.perf_counter() - start))
    return round(max(rates), 1)


def loop_probe() -> float:
    """The machine's speed now: M adds/s of a pure-Python loop (best of three, ~0.3 s).

    Taken before each repeat, since a VM's speed can move by half within a session.
    """
    return _best_rate(_python_loop)


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("pyarrow", "polars", "duckdb", "pandas"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


@dataclass(frozen=True)
class Machine:
    """Where a benchmark ran."""

    cpus: int
    cpu_model: str
    ram_gib: float
    python: str
    platform: str
    source_revision: str
    load_average_1m: float = field(default_factory=lambda: os.getloadavg()[0])
    python_loop_mops: float = field(default_factory=lambda: _best_rate(_python_loop))
    sha256_mb_s: float = field(default_factory=lambda: _best_rate(_sha256))
    libraries: dict[str, str] = field(default_factory=_library_versions)

    def line(self) -> str:
        """A one-line description for the top of a benchmark's output."""
        versions = ", ".join(f"{name} {version}" for name, version in self.libraries.items())
        return (
            f"{self.cpus} CPUs ({self.cpu_model}), {self.ram_gib} GiB RAM, "
            f"load {self.load_average_1m:.2f}, marketlake {self.source_revision}\n"
            f"one core: Python loop {self.python_loop_mops:.0f} M adds/s, sha256"
            f" {self.sha256_mb_s:.0f} MB/s (to compare machines); {versions}"
        )


def compile_bytecode() -> None:
    """Write the project's ``.pyc`` files before any command is timed.

    An editable install leaves ``src/`` uncompiled, and with ``PYTHONDONTWRITEBYTECODE``
    set (as in this workplace's shells) every timed command would compile marketlake's
    sources again: about 0.15 s a command, which an installed package never pays.
    """
    import compileall

    compileall.compile_dir(BENCH_DIR.parent / "src", quiet=1)


def machine() -> Machine:
    """The machine this runs on, with its current 1-minute load average."""
    return Machine(
        cpus=os.cpu_count() or 1,
        cpu_model=_cpu_model(),
        ram_gib=round(psutil.virtual_memory().total / 1024**3, 1),
        python=platform.python_version(),
        platform=platform.platform(),
        source_revision=source_revision(),
    )


def source_revision() -> str:
    """The repository's commit, with ``+dirty`` when ``src/`` has uncommitted changes."""
    repo = BENCH_DIR.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if status else commit


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(name: str, payload: object) -> Path:
    """Write ``payload`` (dataclasses allowed) as ``bench/results/<name>-<time>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(_plain(payload), indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _plain(value: object) -> object:
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return _plain(asdict(value))  # type: ignore[call-overload]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns right-aligned except the first."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
