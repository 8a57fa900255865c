"""Timed runs of ingest commands and references, and their medians.

:func:`measure_ingest` runs one ``marketlake ingest`` into a fresh lake (or a given one, for
reruns) while sampling its process tree, and checks its run report;
:func:`measure_reference` runs decode-only or pandas over the same zips from disk.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from _measure import (
    MIB,
    Machine,
    cpu_seconds_of,
    loop_probe,
    machine,
    median,
    run_measured,
    table,
    write_results,
)
from _reference import run_reference
from _standin import IngestReport, IngestScope, StandIn, ingest_argv, read_report


@dataclass(frozen=True)
class Measurement:
    """One timed run of one thing (an ingest, or a reference)."""

    name: str
    repeat: int
    files: int
    csv_bytes: int
    wall_seconds: float
    cpu_seconds: float
    peak_tree_rss: int
    sum_process_peaks: int
    parent_cpu_seconds: float | None = None
    in_process_seconds: float | None = None
    standin_cpu_seconds: float | None = None
    loop_mops: float | None = None  # the machine's speed before this repeat (``loop_probe``)

    @property
    def mb_per_s(self) -> float:
        """MB of CSV per wall second."""
        return self.csv_bytes / 1e6 / self.wall_seconds

    @property
    def files_per_s(self) -> float:
        """Files per wall second."""
        return self.files / self.wall_seconds


@dataclass(frozen=True)
class Summary:
    """The medians of one thing's runs."""

    name: str
    runs: int
    files_per_s: float
    mb_per_s: float
    wall_seconds: float
    cpu_seconds: float
    peak_tree_rss_mib: float
    sum_process_peaks_mib: float
    parent_cpu_seconds: float | None
    in_process_seconds: float | None
    standin_cpu_seconds: float | None
    walls: tuple[float, ...]
    best_wall_seconds: float

    @property
    def best_files_per_s(self) -> float:
        """Files per second of the fastest run (the least disturbed by other load)."""
        return self.files_per_s * self.wall_seconds / self.best_wall_seconds

    @property
    def best_mb_per_s(self) -> float:
        """MB of CSV per second of the fastest run."""
        return self.mb_per_s * self.wall_seconds / self.best_wall_seconds


def summarize(runs: Sequence[Measurement]) -> dict[str, Summary]:
    """Medians of ``runs`` by name, in the order names first appear."""
    names = list(dict.fromkeys(r.name for r in runs))
    return {name: _summary(name, [r for r in runs if r.name == name]) for name in names}


def _summary(name: str, runs: Sequence[Measurement]) -> Summary:
    def optional(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return median(known) if known else None

    return Summary(
        name=name,
        runs=len(runs),
        files_per_s=median([r.files_per_s for r in runs]),
        mb_per_s=median([r.mb_per_s for r in runs]),
        wall_seconds=median([r.wall_seconds for r in runs]),
        cpu_seconds=median([r.cpu_seconds for r in runs]),
        peak_tree_rss_mib=median([r.peak_tree_rss / MIB for r in runs]),
        sum_process_peaks_mib=median([r.sum_process_peaks / MIB for r in runs]),
        parent_cpu_seconds=optional([r.parent_cpu_seconds for r in runs]),
        in_process_seconds=optional([r.in_process_seconds for r in runs]),
        standin_cpu_seconds=optional([r.standin_cpu_seconds for r in runs]),
        walls=tuple(round(r.wall_seconds, 2) for r in runs),
        best_wall_seconds=min(r.wall_seconds for r in runs),
    )


class Expect(Enum):
    """What an ingest's run report must show."""

    ALL_DONE = "every file ingested"
    NOOP = "nothing to do, every file already done"
    COMPLETE = "every file ingested now or before"


@dataclass(frozen=True)
class IngestCase:
    """An ingest to time: its name, scope, workers, and what its report must say."""

    name: str
    scope: IngestScope
    workers: int
    files: int
    csv_bytes: int
    rows: int | None = None
    expect: Expect = Expect.ALL_DONE

    def check(self, report: IngestReport) -> None:
        """Stop the benchmark when the ingest did not do what was asked."""
        if self.expect is Expect.NOOP:
            ok = report.planned == 0 and report.skipped == self.files
        elif self.expect is Expect.COMPLETE:
            ok = report.failed == 0 and report.done + report.skipped == self.files
        else:
            ok = report.done == self.files and report.failed == 0
            ok = ok and (self.rows is None or report.rows == self.rows)
        if not ok:
            raise SystemExit(f"{self.name}: expected {self.expect.value}, got {report}")


@contextmanager
def fresh_lake(work: Path) -> Iterator[Path]:
    """An empty lake directory under ``work``, left there until the benchmark removes ``work``.

    Not removed after each run: on ext4 without a journal (this workplace's disks), creating a
    file shortly after thousands were deleted makes the kernel skip each recently deleted
    inode one by one (``recently_deleted`` in ``find_inode_bit``, for up to a few minutes),
    which took 10-20 % of the next run's CPU. The next run would pay for this one's clean-up.
    """
    yield Path(tempfile.mkdtemp(dir=work, prefix="lake-"))


def measure_ingest(
    url: str, standin_pid: int, case: IngestCase, repeat: int, lake: Path
) -> Measurement:
    """Run the ingest CLI once into ``lake`` and check its report."""
    standin_cpu = cpu_seconds_of(standin_pid)
    run = run_measured(ingest_argv(url, lake, case.scope, workers=case.workers))
    standin_cpu = cpu_seconds_of(standin_pid) - standin_cpu
    if run.returncode != 0:
        raise SystemExit(f"{case.name} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
    report = read_report(lake)
    case.check(report)
    result = Measurement(
        name=case.name,
        repeat=repeat,
        files=case.files,
        csv_bytes=case.csv_bytes,
        wall_seconds=run.wall_seconds,
        cpu_seconds=run.usage.cpu_seconds,
        peak_tree_rss=run.usage.peak_tree_rss,
        sum_process_peaks=run.usage.sum_process_peaks,
        parent_cpu_seconds=run.usage.root_cpu_seconds,
        in_process_seconds=report.seconds,
        standin_cpu_seconds=standin_cpu,
    )
    progress(result)
    return result


def measure_reference(
    stage: str, zips: Sequence[tuple[Path, str]], repeat: int, work: Path
) -> Measurement:
    """Run a reference (``marketlake`` decode-only, or ``pandas``) once as a command of its own.

    Its wall time is the whole command's, like an ingest's (interpreter start and imports
    included); ``in_process_seconds`` is the work alone, like an ingest report's ``seconds``.
    """
    run = run_reference(stage, zips, work)
    name = "decode-only" if stage == "marketlake" else "pandas"
    result = Measurement(
        name=name,
        repeat=repeat,
        files=run.files,
        csv_bytes=run.csv_bytes,
        wall_seconds=run.process_seconds,
        cpu_seconds=run.cpu_seconds,
        peak_tree_rss=run.peak_rss,
        sum_process_peaks=run.peak_rss,
        in_process_seconds=run.seconds,
    )
    progress(result)
    return result


def measure_repeats(
    mirror: StandIn,
    cases: Sequence[IngestCase],
    work: Path,
    repeats: int,
    zips: Sequence[tuple[Path, str]] = (),
) -> list[Measurement]:
    """``repeats`` times: each case ingested into a fresh lake, then, given ``zips``, the
    decode-only and pandas references over them."""
    results: list[Measurement] = []
    for repeat in range(1, repeats + 1):
        probe = loop_probe()
        print(f"  [{repeat}] machine: Python loop {probe:.1f} M adds/s", flush=True)
        runs = []
        for case in cases:
            with fresh_lake(work) as lake:
                runs.append(measure_ingest(mirror.url, mirror.pid, case, repeat, lake))
        if zips:
            runs += [measure_reference(s, zips, repeat, work) for s in ("marketlake", "pandas")]
        results += [replace(run, loop_mops=probe) for run in runs]
    return results


def progress(m: Measurement) -> None:
    """Print one run as it finishes."""
    rate = f"{m.files_per_s:8.1f} files/s  " if m.files > 1 else ""
    print(
        f"  [{m.repeat}] {m.name:<30} {m.wall_seconds:7.2f} s  {rate}"
        f"{m.mb_per_s:6.1f} MB/s  cpu {m.cpu_seconds:6.2f} s "
        f"(parent {_optional(m.parent_cpu_seconds)})  peak {m.peak_tree_rss / MIB:6.0f} MiB",
        flush=True,
    )


def summary_table(summaries: dict[str, Summary], *, per_file: bool) -> str:
    """The table of medians (files/s first when ``per_file``), and the best run's rate."""
    rate = ["files/s", "best files/s"] if per_file else ["MB/s", "best MB/s"]
    headers = ["median of runs", *rate, "wall s", "in-run s", "cpu s", "parent cpu s",
               "stand-in cpu s", "peak MiB", "runs (wall s)"]  # fmt: skip
    rows = [
        [
            s.name,
            *([s.files_per_s, s.best_files_per_s] if per_file else [s.mb_per_s, s.best_mb_per_s]),
            s.wall_seconds,
            _optional(s.in_process_seconds),
            s.cpu_seconds,
            _optional(s.parent_cpu_seconds),
            _optional(s.standin_cpu_seconds),
            round(s.peak_tree_rss_mib),
            " ".join(f"{w:.2f}" for w in s.walls),
        ]
        for s in summaries.values()
    ]
    return table(headers, rows)


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class Target:
    """A figure compared with its target."""

    value: float
    target: float
    higher_is_better: bool

    @property
    def met(self) -> bool:
        """True when the figure meets the target."""
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    def line(self, label: str) -> str:
        """``label value (target >= x: met)``."""
        relation = ">=" if self.higher_is_better else "<"
        verdict = "met" if self.met else "MISSED"
        return f"{label:<44} {self.value:10.2f}  (target {relation} {self.target:g}: {verdict})"


def finish(
    name: str,
    host: Machine,
    summaries: dict[str, Summary],
    found: dict[str, Target],
    runs: Sequence[Measurement],
    **context: object,
) -> int:
    """Print the verdict on each target and write the run's JSON; the script's exit code."""
    for label, target in found.items():
        print(target.line(label))
    after = machine().load_average_1m
    print(f"load average (1 min): {host.load_average_1m:.2f} before, {after:.2f} after")
    payload = {
        "benchmark": name,
        **context,
        "machine": host,
        "load_average_1m_after": after,
        "summaries": summaries,
        "targets": {label: {**vars(t), "met": t.met} for label, t in found.items()},
        "runs": runs,
    }
    print(f"\nresults: {write_results(name, payload)}")
    return 0
