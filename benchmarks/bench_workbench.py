"""The experiment workbench on the scale workspace: run detail, compare, `story show`.

    python benchmarks/bench_workbench.py --db /tmp/mlboard-scale.db [--repeat 5]

Works on a copy of the workspace (the original is never written): in the copy, one new story
with a target and a GPU budget gets 20 finished runs whose histories are cached, some of them
with registered model versions. Then it measures, against its budgets:

- run detail, warm (`run_detail`: one run of 50,000 with its params, metric ranges from the
  history cache, stories, models, GPU-hours), in-process, median of `--repeat`: 150 ms;
- compare 20 runs, warm (`compare_story_runs` and the overlaid history of the target metric,
  `cached_histories`), in-process: 300 ms;
- the same two in the TUI: a real app on the copy (headless, 160x50, in a process of its own)
  opens the run view and the compare view of that story, from the key press's action until
  the view is drawn with its data and its workers are done; median of `--repeat` warm opens
  (the first, which imports the views and plotext, is shown apart): 150 ms and 300 ms;
- `mlboard story show KEY --format json` for that story (with `compute` and `models`), whole
  process, after one untimed run: 0.5 s; `mlboard --help` beside it (0.3 s) says how busy the
  machine is.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_analytics import line, median_seconds
from bench_foundation import MLBOARD, Budget, Row, time_process
from workspace import ensure_scale_workspace, read_only

COMPARED = 20
TUI = r"""
import json, sys, time
from mlboard.config import load_settings
from mlboard.services.workspace import open_workspace
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.opening import open_compare, open_run

db, run_id, key, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = MlboardApp(open_workspace(load_settings(db)))
views = {"run": lambda: open_run(app, run_id), "compare": lambda: open_compare(app, story=key)}
shown = {"run": "RunDetailScreen", "compare": "RunCompareScreen"}
result = {name: [] for name in views}
cpu = {name: [] for name in views}

async def settled(pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()

async def auto_pilot(pilot):
    await settled(pilot)
    for _ in range(repeat + 1):
        for name, open_view in views.items():
            start, used = time.perf_counter(), time.process_time()
            open_view()
            await settled(pilot)
            result[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - used)
            assert type(app.screen).__name__ == shown[name], app.screen
            app.pop_screen()
            await settled(pilot)
    app.exit()

app.run(headless=True, size=(160, 50), auto_pilot=auto_pilot)
print(json.dumps({"wall": result, "cpu": cpu}))
"""


def comparable_runs(db: Path) -> list[str]:
    """Finished runs with cached histories, those with registered versions first."""
    with read_only(db) as connection:
        rows = connection.execute(
            "SELECT run.run_id FROM run JOIN metrichistory ON metrichistory.run_pk = run.id"
            " WHERE run.status = 'FINISHED' AND NOT run.deleted"
            " GROUP BY run.id"
            " ORDER BY run.run_id IN (SELECT run_id FROM modelversion) DESC, run.id"
            f" LIMIT {COMPARED}"
        ).fetchall()
    return [run_id for (run_id,) in rows]


def prepare(db: Path, copy: Path) -> tuple[str, list[str]]:
    """Copy the workspace and link `COMPARED` runs to a new story in the copy."""
    with read_only(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    from mlboard.config import load_settings
    from mlboard.services.experiments.linking import link_run
    from mlboard.services.stories.records import create_story
    from mlboard.services.workspace import open_workspace

    run_ids = comparable_runs(copy)
    workspace = open_workspace(load_settings(str(copy)))
    story = create_story(
        workspace, "Benchmark: compare a sweep", {"target": "val_auc >= 0.99", "gpu_hours": "40"}
    )
    for run_id in run_ids:
        link_run(workspace, story.key, run_id, write_tag=False)
    workspace.close()
    return story.key, run_ids


def tui_opens(db: Path, run_id: str, key: str, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Seconds to open the run view and the compare view in the TUI, first (cold) open first:
    on the clock (`wall`) and of the app's own CPU (`cpu`: on a busy machine the clock also
    counts the time other processes had the cores)."""
    done = subprocess.run(
        [sys.executable, "-c", TUI, str(db), run_id, key, str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ensure_scale_workspace(args.db)
    with tempfile.TemporaryDirectory(prefix="mlboard-workbench-") as folder:
        copy = Path(folder) / "workbench.db"
        key, run_ids = prepare(args.db, copy)
        shown, _ = time_process(
            [MLBOARD, "--db", str(copy), "story", "show", key, "--format", "json"], args.repeat
        )
        helps, _ = time_process([MLBOARD, "--help"], args.repeat)
        from mlboard.config import load_settings
        from mlboard.services.experiments.compare import compare_story_runs
        from mlboard.services.experiments.metric_history import cached_histories
        from mlboard.services.experiments.run_detail import run_detail
        from mlboard.services.workspace import open_workspace

        workspace = open_workspace(load_settings(str(copy)))

        def compare() -> None:
            comparison = compare_story_runs(workspace, key)
            ids = [run.run_id for run in comparison.runs]
            assert len(ids) == COMPARED and comparison.target is not None
            cached_histories(workspace, ids, comparison.target.metric)

        tui = tui_opens(copy, run_ids[-1], key, args.repeat)
        opened, cpu = tui["wall"], tui["cpu"]
        rows = [
            line(
                "run detail, one run of 50,000 (warm)",
                median_seconds(lambda: run_detail(workspace, run_ids[-1]), args.repeat),
                0.150,
            ),
            line(
                f"story compare, {COMPARED} runs and a history overlay (warm)",
                median_seconds(compare, args.repeat),
                0.300,
            ),
            line("TUI: the run view opens (warm)", statistics.median(opened["run"][1:]), 0.150),
            line(
                f"TUI: the compare view of {COMPARED} runs opens (warm)",
                statistics.median(opened["compare"][1:]),
                0.300,
            ),
            f"  the app's CPU for those (warm): run view "
            f"{statistics.median(cpu['run'][1:]) * 1000:.0f} ms, compare view "
            f"{statistics.median(cpu['compare'][1:]) * 1000:.0f} ms",
            f"  for scale: first opens, with the imports: run view {opened['run'][0] * 1000:.0f} "
            f"ms, compare view {opened['compare'][0] * 1000:.0f} ms",
        ]
        workspace.close()
    story_show = Row(f"story show {key} --format json (whole process)", shown, Budget(0.5))
    helped = Row("  for scale: mlboard --help (whole process)", helps, Budget(0.3))
    print("\n".join([*rows, story_show.render(52), helped.render(52)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
