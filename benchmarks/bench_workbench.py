"""The experiment workbench on the scale workspace: run detail, compare, `story show`.

    python benchmarks/bench_workbench.py --db /tmp/mlboard-scale.db [--repeat 5]

Works on a copy of the workspace (the original is never written): in the copy, one new story
with a target and a GPU budget gets 20 finished runs whose histories are cached, some of them
with registered model versions. Then it measures, against DESIGN.md's budgets:

- run detail, warm (`run_detail`: one run of 50,000 with its params, metric ranges from the
  history cache, stories, models, GPU-hours), in-process, median of `--repeat`: 150 ms;
- compare 20 runs, warm (`compare_story_runs` and the overlaid history of the target metric,
  `cached_histories`), in-process: 300 ms;
- `mlboard story show KEY --format json` for that story (with `compute` and `models`), whole
  process, after one untimed run: 0.5 s; `mlboard --help` beside it (0.3 s) says how busy the
  machine is.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench_analytics import line, median_seconds
from bench_foundation import MLBOARD, Budget, Row, time_process
from workspace import ensure_scale_workspace, read_only

COMPARED = 20


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
    from mlboard.services.linking import link_run
    from mlboard.services.stories import create_story
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
        from mlboard.services.metric_history import cached_histories
        from mlboard.services.run_compare import compare_story_runs
        from mlboard.services.run_detail import run_detail
        from mlboard.services.workspace import open_workspace

        workspace = open_workspace(load_settings(str(copy)))

        def compare() -> None:
            comparison = compare_story_runs(workspace, key)
            ids = [run.run_id for run in comparison.runs]
            assert len(ids) == COMPARED and comparison.target is not None
            cached_histories(workspace, ids, comparison.target.metric)

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
        ]
        workspace.close()
    story_show = Row(f"story show {key} --format json (whole process)", shown, Budget(0.5))
    helped = Row("  for scale: mlboard --help (whole process)", helps, Budget(0.3))
    print("\n".join([*rows, story_show.render(52), helped.render(52)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
