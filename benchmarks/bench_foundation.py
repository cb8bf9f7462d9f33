"""Wall times of the foundation against mlboard's performance budgets.

    python benchmarks/bench_foundation.py [--db /tmp/mlboard-scale.db] [--runs 5] [--profile]
        [--peer-venv /tmp/mlboard-peers] [--checkout DIR ...]

Builds the scale workspace if it is missing or incomplete (`workspace.py`), the demo workspace
with `mlboard demo --no-open`, then times (median and min of `--runs` runs each):

- `mlboard --help`, and checks in a separate `-X importtime` run that it imports neither
  mlflow nor pandas;
- `mlboard --db DB story list --format json` and `sprint list --format json`, whole process;
- the board's first paint on the large database: in-process (`first_paint.py`: `App.run_test`,
  from app construction until the columns hold their cards) and whole process: `mlboard --db
  DB` in a pseudo-terminal, from launch until a card shows in what it wrote (`terminal.py`),
  with the peak RSS. Both run in children, so this process stays small: the kernel never
  reports a child's peak RSS below its parent's;
- the board's first paint on the demo against kanban-tui's 60-task board and a trivial
  Textual app (`peers.py`), their runs interleaved so that both see the same machine;
- the simple commands (`sprint list`, `story list`, `story move`) on the demo against
  `mlboard --help`, interleaved the same way.

`--checkout DIR` (repeatable) measures the mlboard of each checkout side by side, each put
first on PYTHONPATH: the same run then shows a change's before and after.

It is a report, not a test: a missed budget is marked MISS and the exit code is still 0.
Figures depend on the machine (the budgets are for 2 cores).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from first_paint import clock
from peers import DEFAULT_VENV, Peer, floor, kanban_tui
from terminal import first_paint
from workspace import count_rows, ensure_scale_workspace, first_data, story_in

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = os.path.abspath(sys.executable)  # not resolve(): a venv's python is a symlink
_BESIDE = Path(PYTHON).parent / "mlboard"
MLBOARD = str(_BESIDE) if _BESIDE.exists() else shutil.which("mlboard") or "mlboard"
FORBIDDEN_AT_HELP = ("mlflow", "pandas")


class ChildFailed(Exception):
    """A measured command exited with an error; the message holds its stderr tail."""


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float | None = None


@dataclass(frozen=True)
class Budget:
    seconds: float
    rss_mb: float | None = None
    why: str = ""  # how a relative budget was derived: "0.55× kanban-tui"


@dataclass(frozen=True)
class Row:
    """One timed measurement; `broken` marks a budget missed other than by time or memory."""

    label: str
    samples: list[Sample]
    budget: Budget | None = None
    note: str = ""
    broken: bool = False

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def fastest(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float | None:
        peaks = [s.rss_mb for s in self.samples if s.rss_mb is not None]
        return max(peaks) if peaks else None

    @property
    def verdict(self) -> str:
        if self.budget is None:
            return "-"
        over_time = self.median > self.budget.seconds
        peak, limit = self.peak_mb, self.budget.rss_mb
        over_memory = peak is not None and limit is not None and peak > limit
        return "MISS" if over_time or over_memory or self.broken else "OK"

    def render(self, width: int) -> str:
        budget = "(no budget)"
        if self.budget:
            why = f" = {self.budget.why}" if self.budget.why else ""
            budget = f"(budget {self.budget.seconds:.2f} s{why})"
        memory = f"{self.peak_mb:4.0f} MB" if self.peak_mb is not None else "     -"
        if self.budget and self.budget.rss_mb is not None:
            memory += f" (budget {self.budget.rss_mb:.0f} MB)"
        line = (
            f"{self.label:<{width}}  {self.median:5.2f} s  min {self.fastest:5.2f}  "
            f"{budget:<24} {self.verdict:<4}  {memory}"
        )
        return line + (f"   {self.note}" if self.note else "")


@dataclass(frozen=True)
class Note:
    """An untimed line of the report: a check's result, or why a measurement was skipped."""

    label: str
    text: str

    def render(self, width: int) -> str:
        return f"{self.label:<{width}}  {self.text}"


# -- running children -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    started: float
    ended: float
    rss_mb: float | None  # None: not above this process's own peak, so not measurable
    stdout: str
    stderr: str


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(argv: Sequence[str], env: Mapping[str, str] | None = None) -> ChildRun:
    """Run a command to completion and return its times, output and its own peak RSS.

    `os.wait4` gives the rusage of this one child; `getrusage(RUSAGE_CHILDREN)` would give the
    high-water mark of every child so far (the generator included), not this one's. Linux keeps
    the high-water mark across the child's exec, so the figure is never below this process's
    own peak: a child that stays under it cannot be measured.
    """
    floor = own_peak_mb()
    with tempfile.TemporaryFile() as errors:
        started = clock()
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, env={**os.environ, **(env or {})}
        )
        assert process.stdout is not None
        stdout = process.stdout.read()
        process.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
        ended = clock()
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if process.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
        command = " ".join([Path(argv[0]).name, *argv[1:4]])
        raise ChildFailed(f"{command}: {tail[0]}")
    peak = usage.ru_maxrss / 1024
    return ChildRun(started, ended, peak if peak > floor else None, stdout.decode(), stderr)


def time_process(argv: Sequence[str], runs: int) -> tuple[list[Sample], str]:
    """Whole-process wall times and peak RSS of `runs` runs (after one untimed warm-up run,
    which fills the OS page cache); also the last run's stdout."""
    samples, stdout = [], run_child(argv).stdout
    for _ in range(runs):
        child = run_child(argv)
        samples.append(Sample(child.ended - child.started, child.rss_mb))
        stdout = child.stdout
    return samples, stdout


def time_first_paint_process(db: Path, runs: int) -> list[Sample]:
    """Launch of `mlboard --db DB` in a terminal to the first frame showing a card (after one
    untimed warm-up run), with the peak RSS of each run."""
    argv, cards = [MLBOARD, "--db", str(db)], first_data(db, "board")
    first_paint(argv, cards)
    return [
        Sample(paint.seconds, paint.rss_mb)
        for paint in (first_paint(argv, cards) for _ in range(runs))
    ]


def time_first_paint_in_process(db: Path, runs: int) -> tuple[list[Sample], int, float]:
    """App construction to cards on screen, `runs` times in one child (imports excluded).

    The first run also pays one-off costs (CSS parsing, SQLAlchemy statement compilation), so it
    is returned separately as well.
    """
    child = run_child([PYTHON, str(HERE / "first_paint.py"), "--in-process", str(runs), str(db)])
    result = json.loads(child.stdout.strip().splitlines()[-1])
    samples = [Sample(seconds) for seconds in result["seconds"]]
    return samples, result["cards"], samples[0].seconds


def profile_first_paint(db: Path, top: int = 15) -> None:
    """Print where one warm in-process paint spends its time: the functions with the most own
    time, then mlboard's functions by cumulative time. (Runs here, after every child.)"""
    import asyncio
    import cProfile
    import pstats

    from first_paint import paint_in_process

    asyncio.run(paint_in_process(db))  # warm-up: imports and caches
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(paint_in_process(db))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\ncProfile of one warm in-process first paint on {db}:")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"/mlboard/", top)


# -- checks and fixtures ----------------------------------------------------------------------


def import_costs(argv: Sequence[str]) -> dict[str, float]:
    """Run `python -X importtime ARGV`; return ms of import (self time) per top-level package,
    costliest first. (`-X importtime` itself slows imports down: compare, don't add up.)"""
    child = run_child([PYTHON, "-X", "importtime", *argv])
    costs: dict[str, float] = {}
    for line in child.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # not an importtime line, or its header
        package = fields[2].strip().split(".")[0]
        costs[package] = costs.get(package, 0.0) + int(fields[0]) / 1000
    return dict(sorted(costs.items(), key=lambda item: -item[1]))


def describe_costs(costs: dict[str, float], top: int = 5) -> str:
    total = sum(costs.values())
    heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in list(costs.items())[:top])
    return f"{total:.0f} ms in all; {heaviest} ms"


def ensure_demo(folder: Path) -> Path:
    """The demo database in `folder`, built by `mlboard demo` (reused if already there).

    A demo left by an older mlboard may lack what today's builds (MLflow runs, pipelines): its
    board would paint fewer details than a user's, so it is built again."""
    if not (REPO / "sample_data" / "team.toml").is_file():
        raise ChildFailed(f"no sample_data/ in {REPO}")
    database = folder / "mlboard.db"
    if (
        database.is_file()
        and (folder / "mlboard.toml").is_file()
        and not count_rows(database, "run")
    ):
        print(f"{folder} holds a demo without runs (an older build): building it again")
        shutil.rmtree(folder)
    run_child([MLBOARD, "demo", "--no-open", "--dir", str(folder)])
    return database


# -- the report -------------------------------------------------------------------------------

Line = Row | Note
LABEL_WIDTH = 49
LARGE = Budget(1.5, 300)


def measure_help(runs: int) -> list[Line]:
    samples, _ = time_process([MLBOARD, "--help"], runs)
    costs = import_costs(["-m", "mlboard", "--help"])
    leaked = [name for name in FORBIDDEN_AT_HELP if name in costs]
    verdict = f"MISS: imports {', '.join(leaked)}" if leaked else "OK: no mlflow, no pandas"
    return [
        Row("mlboard --help", samples, Budget(0.3), broken=bool(leaked)),
        Note("  --help imports (-X importtime)", f"{verdict}; {describe_costs(costs)}"),
    ]


def measure_list(db: Path, what: str, runs: int) -> Row:
    """`mlboard --db DB <what> list --format json`, whole process."""
    argv = [MLBOARD, "--db", str(db), what, "list", "--format", "json"]
    samples, stdout = time_process(argv, runs)
    plural = "stories" if what == "story" else f"{what}s"
    return Row(f"{what} list --format json ({len(json.loads(stdout)):,} {plural})", samples)


def measure_board(db: Path, what: str, runs: int, budget: Budget) -> list[Line]:
    """First paint of the board on `db`, in-process and whole process."""
    inside, cards, first = time_first_paint_in_process(db, runs)
    process = time_first_paint_process(db, runs)
    return [
        Row(
            f"board first paint ({what}), in-process",
            inside,
            note=f"{cards} cards; first run {first:.2f} s",
        ),
        Row(f"board first paint ({what})", process, budget, note="launch to cards on screen"),
    ]


# -- the demo: against the peers, and the simple commands against --help --------------------

PEER_SHARE = 0.55  # budget: the demo's first paint within 0.55x kanban-tui's 60-task board
FALLBACK_PAINT = 0.45  # that share of kanban-tui's 0.81-0.89 s here, if it cannot be installed
DEMO_RSS_MB = 120
HELP_SHARE = 2.0  # budget: a simple command within twice `mlboard --help`


@dataclass(frozen=True)
class Checkout:
    """The mlboard measured: the installed one (no name), or a checkout put on PYTHONPATH."""

    name: str = ""
    env: Mapping[str, str] = field(default_factory=dict)

    def label(self, text: str) -> str:
        return f"{text} [{self.name}]" if self.name else text


def checkouts_of(paths: Sequence[Path]) -> list[Checkout]:
    return [Checkout(p.name, {"PYTHONPATH": str(p.resolve())}) for p in paths] or [Checkout()]


def interleaved(runs: int, measures: Mapping[str, Callable[[], Sample]]) -> dict[str, list[Sample]]:
    """`runs` samples of each measurement taken in turns, after one untimed warm-up of each:
    a change in the machine's load then weighs on every program alike."""
    for measure in measures.values():
        measure()
    samples: dict[str, list[Sample]] = {label: [] for label in measures}
    for _ in range(runs):
        for label, measure in measures.items():
            samples[label].append(measure())
    return samples


def paint_sample(argv: Sequence[str], shown: re.Pattern[bytes], env: Mapping[str, str]) -> Sample:
    paint = first_paint(argv, shown, env=env)
    return Sample(paint.seconds, paint.rss_mb)


def peer_sample(peer: Peer) -> Sample:
    paint = peer.paint()
    return Sample(paint.seconds, paint.rss_mb)


def process_sample(argv: Sequence[str], env: Mapping[str, str]) -> Sample:
    child = run_child(argv, env)
    return Sample(child.ended - child.started, child.rss_mb)


def measure_demo_paint(
    db: Path, runs: int, peer_venv: Path, checkouts: Sequence[Checkout]
) -> list[Line]:
    """The demo board's first paint, kanban-tui's 60-task board and the floor, in turns."""
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="mlboard-peer-") as folder:
        peers = [floor()]
        try:
            peers.insert(0, kanban_tui(peer_venv, Path(folder)))
        except (RuntimeError, subprocess.CalledProcessError) as error:
            lines.append(Note("kanban-tui", f"not measured ({error}): budget {FALLBACK_PAINT} s"))
        measures: dict[str, Callable[[], Sample]] = {
            peer.name: lambda peer=peer: peer_sample(peer) for peer in peers
        }
        cards, argv = first_data(db, "board"), [MLBOARD, "--db", str(db)]
        label = f"board first paint (demo, {count_rows(db, 'story')} stories)"
        for checkout in checkouts:
            measures[checkout.label(label)] = lambda c=checkout: paint_sample(argv, cards, c.env)
        samples = interleaved(runs, measures)
    medians = {name: statistics.median(s.seconds for s in found) for name, found in samples.items()}
    kanban = next((peer.name for peer in peers if peer.name.startswith("kanban-tui")), None)
    if kanban:
        budget = Budget(PEER_SHARE * medians[kanban], DEMO_RSS_MB, f"{PEER_SHARE}x kanban-tui")
    else:
        budget = Budget(FALLBACK_PAINT, DEMO_RSS_MB, "fallback")
    for peer in peers:
        lines.append(Row(peer.name, samples[peer.name], note="peer, same terminal method"))
    for checkout in checkouts:
        name = checkout.label(label)
        ratios = [f"{medians[name] / medians[peer.name]:.2f}x {peer.name.split(',')[0]}"
                  for peer in peers]  # fmt: skip
        lines.append(Row(name, samples[name], budget, note=", ".join(ratios)))
    return lines


def measure_demo_commands(db: Path, runs: int, checkouts: Sequence[Checkout]) -> list[Line]:
    """`sprint list`, `story list` and `story move` (text, as people run them) against
    `mlboard --help`, in turns. The moves go back and forth on a copy of the demo database."""
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="mlboard-moves-") as folder:
        moves_db = Path(folder) / "moves.db"
        shutil.copyfile(db, moves_db)
        key, statuses = story_in(db, "todo"), itertools.cycle(["in_progress", "todo"])
        commands = {
            "mlboard --help": lambda: ["--help"],
            "sprint list (demo)": lambda: ["--db", str(db), "sprint", "list"],
            "story list (demo)": lambda: ["--db", str(db), "story", "list"],
            f"story move {key} (demo)": lambda: [
                "--db", str(moves_db), "story", "move", key, next(statuses)
            ],
        }  # fmt: skip
        measures: dict[str, Callable[[], Sample]] = {}
        for checkout in checkouts:
            for text, args in commands.items():
                measures[checkout.label(text)] = lambda c=checkout, a=args: process_sample(
                    [MLBOARD, *a()], c.env
                )
        samples = interleaved(runs, measures)
    for checkout in checkouts:
        help_label = checkout.label("mlboard --help")
        help_median = statistics.median(s.seconds for s in samples[help_label])
        lines.append(Row(help_label, samples[help_label], Budget(0.3), note="in the same turns"))
        budget = Budget(HELP_SHARE * help_median, why=f"{HELP_SHARE:g}x --help")
        for text in list(commands)[1:]:
            label = checkout.label(text)
            row = Row(label, samples[label], budget)
            lines.append(replace(row, note=f"{row.median / help_median:.2f}x --help"))
    return lines


def measure_demo(
    folder: Path, runs: int, peer_venv: Path, checkouts: Sequence[Checkout]
) -> list[Line]:
    try:
        db = ensure_demo(folder)
    except ChildFailed as error:
        return [Note("board first paint (demo)", f"skipped: mlboard demo failed: {error}")]
    inside, cards, first = time_first_paint_in_process(db, runs)
    stories = count_rows(db, "story")
    return [
        Row(
            f"board first paint (demo, {stories} stories), in-process",
            inside,
            note=f"{cards} cards; first run {first:.2f} s",
        ),
        *guarded("demo vs peers", lambda: measure_demo_paint(db, runs, peer_venv, checkouts)),
        *guarded("simple commands", lambda: measure_demo_commands(db, runs, checkouts)),
    ]


def guarded(label: str, measure: Callable[[], list[Line]]) -> list[Line]:
    """Run one measurement; a failing command becomes a skipped row instead of a crash."""
    try:
        return measure()
    except ChildFailed as error:
        return [Note(label, f"skipped: {error}")]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/mlboard-scale.db"))
    parser.add_argument("--demo-dir", type=Path, default=Path("/tmp/bench-demo"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one warm paint too")
    parser.add_argument(
        "--peer-venv", type=Path, default=DEFAULT_VENV, help="venv for kanban-tui (made once)"
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        action="append",
        default=[],
        help="measure this checkout's mlboard too (repeatable; first on PYTHONPATH)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("mlboard") is None:
        print("mlboard is not importable: run this with the project's venv python", file=sys.stderr)
        return 2
    db: Path = args.db.expanduser().resolve()
    ensure_scale_workspace(db)
    runs = max(args.runs, 1)
    load_before = load_now()
    print(f"mlboard benchmarks: {os.cpu_count()} CPUs, median of {runs} runs (and min)\n")
    large = f"{count_rows(db, 'story'):,} stories"
    measurements: list[Callable[[], list[Line]]] = [
        lambda: guarded("mlboard --help", lambda: measure_help(runs)),
        lambda: guarded("story list", lambda: [measure_list(db, "story", runs)]),
        lambda: guarded("sprint list", lambda: [measure_list(db, "sprint", runs)]),
        lambda: guarded("board first paint", lambda: measure_board(db, large, runs, LARGE)),
        lambda: measure_demo(
            args.demo_dir.expanduser().resolve(), runs, args.peer_venv, checkouts_of(args.checkout)
        ),
    ]
    for measure in measurements:
        for line in measure():
            print(line.render(LABEL_WIDTH), flush=True)
    print(f"\nload average before/after: {load_before} / {load_now()}", end="")
    print("  (other work on the machine inflates every figure)")
    print(f"peak RSS of this process: {own_peak_mb():.0f} MB (no child is measured below it)")
    if args.profile:
        costs = import_costs(["-c", "import mlboard.launcher, mlboard.tui.app"])
        print(f"\nimports before the first paint (-X importtime): {describe_costs(costs, 8)}")
        profile_first_paint(db)
    return 0


def load_now() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
