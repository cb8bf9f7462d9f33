"""`mlboard run show|compare` and `mlboard story compare`: one run in full, runs side by side."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    console,
    error_console,
    markdown_cell,
    markdown_table,
    plain,
    print_fields,
    print_json,
    print_section,
    print_table,
)

if TYPE_CHECKING:
    from mlboard.services.run_compare import Comparison
    from mlboard.services.run_detail import RunDetail

app = typer.Typer(
    help="MLflow runs on the board: one in full, or several side by side.", no_args_is_help=True
)

FormatOption = Annotated[Format, typer.Option("--format", help="text, md or json.")]
AllParams = Annotated[
    bool, typer.Option("--all-params", help="Also list the parameters every run shares.")
]
BEST = "★"


@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id, or a unique prefix of it (4+ chars).")],
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Show one run: params, metrics with their range, tags, stories, models, GPU-hours."""
    from mlboard.services.run_detail import load_run_detail

    workspace = ctx.obj.workspace()
    with error_console().status("fetching metric histories") as status:
        detail = load_run_detail(
            workspace,
            run_id,
            progress=None
            if fmt is Format.JSON
            else lambda done, total: status.update(f"metric histories: {done}/{total}"),
        )
    if fmt is Format.JSON:
        print_json(detail.as_json())
        return
    if fmt is Format.MD:
        sys.stdout.write(_run_markdown(detail))
    else:
        _print_run(detail)
    if detail.history_error:
        error_console().print(
            Text(f"warning: {detail.history_error}; metric ranges are from the cache only")
        )


def _when(detail: RunDetail) -> list[tuple[str, object]]:
    from mlboard.analytics.training_signals import human_duration

    duration = None
    if detail.duration_s is not None:
        duration = human_duration(detail.duration_s * 1000)
        duration += " so far" if detail.status == "RUNNING" else ""
    return [
        ("start", detail.start.strftime("%Y-%m-%d %H:%M UTC") if detail.start else None),
        ("end", detail.end.strftime("%Y-%m-%d %H:%M UTC") if detail.end else None),
        ("duration", duration),
    ]


def _facts(detail: RunDetail) -> list[tuple[str, object]]:
    """The run's headline facts, label → value, shared by the text and Markdown forms."""
    parent = detail.parent
    return [
        ("run id", detail.run_id),
        ("experiment", detail.experiment),
        ("status", detail.status + (" (deleted)" if detail.deleted else "")),
        ("user", detail.user),
        *_when(detail),
        ("parent", f"{parent.label} ({parent.run_id})" if parent else None),
        ("children", ", ".join(f"{c.label} ({c.status})" for c in detail.children) or None),
        ("stories", ", ".join(f"{s.key} ({s.how})" for s in detail.stories) or None),
        (
            "models",
            ", ".join(
                f"{m.name} v{m.version}" + (f" [{', '.join(m.aliases)}]" if m.aliases else "")
                for m in detail.model_versions
            )
            or None,
        ),
        ("GPUs", f"{detail.gpus} · {detail.gpu_hours:.1f} GPU-hours" if detail.gpus else None),
        ("tracking URI", detail.tracking_uri),
    ]


def _metric_rows(detail: RunDetail) -> list[tuple[object, ...]]:
    return [(m.name, m.last, m.min, m.max, m.steps) for m in detail.metrics.values()]


def _hidden_tags(detail: RunDetail) -> str:
    hidden = len(detail.tags) - len(detail.own_tags)
    return f"{hidden} mlflow.* tags not shown (see --format json)\n" if hidden else ""


def _print_run(detail: RunDetail) -> None:
    out = console()
    out.print(Text(detail.label, style="bold"))
    print_fields([(label, value) for label, value in _facts(detail) if value not in (None, "")])
    params = list(detail.params.items())
    print_section(f"Params ({len(params)})", ("param", "value"), params, free="value")
    print_section(
        f"Metrics ({len(detail.metrics)})",
        ("metric", "last", "min", "max", "steps"),
        _metric_rows(detail),
    )
    tags = list(detail.own_tags.items())
    print_section(f"Tags ({len(tags)})", ("tag", "value"), tags, free="value")
    out.print(Text(_hidden_tags(detail), style="dim"), end="")


def _run_markdown(detail: RunDetail) -> str:
    lines = [f"## Run {markdown_cell(detail.label)}", ""]
    lines += [
        f"- **{label}**: {markdown_cell(value)}"
        for label, value in _facts(detail)
        if value not in (None, "")
    ]
    parts = ["\n".join(lines) + "\n"]
    parts.append(
        markdown_table(
            f"Params ({len(detail.params)})", ("param", "value"), list(detail.params.items())
        )
    )
    parts.append(
        markdown_table(
            f"Metrics ({len(detail.metrics)})",
            ("metric", "last", "min", "max", "steps"),
            _metric_rows(detail),
        )
    )
    tags = list(detail.own_tags.items())
    parts.append(markdown_table(f"Tags ({len(tags)})", ("tag", "value"), tags))
    return "\n".join(parts) + (f"\n{_hidden_tags(detail)}" if _hidden_tags(detail) else "")


@app.command("compare")
def compare(
    ctx: typer.Context,
    run_ids: Annotated[
        list[str], typer.Argument(help="Two or more run ids or unique prefixes (at most 50).")
    ],
    all_params: AllParams = False,
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Compare runs: the params that differ, each metric side by side, the best marked."""
    from mlboard.services.run_compare import compare_runs

    _print_comparison(compare_runs(ctx.obj.workspace(), run_ids), all_params, fmt)


def story_compare(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key.")],
    all_params: AllParams = False,
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Compare a story's finished runs, in start order, best on its target marked."""
    from mlboard.services.run_compare import compare_story_runs

    _print_comparison(compare_story_runs(ctx.obj.workspace(), key), all_params, fmt)


def _comparison_rows(comparison: Comparison, all_params: bool) -> list[list[object]]:
    rows: list[list[object]] = [
        [name, *values] for name, values in comparison.params(all_params=all_params).items()
    ]
    same = len(comparison.diff.params_same)
    if same and not all_params:
        rows.append(
            [f"({same} equal params not shown: --all-params)", *[""] * len(comparison.runs)]
        )
    best = comparison.diff.best
    for name, values in comparison.diff.metrics.items():
        cells: list[object] = [
            f"{plain(value)} {BEST}" if best.get(name) == index else value
            for index, value in enumerate(values)
        ]
        rows.append([name, *cells])
    return rows


def _print_comparison(comparison: Comparison, all_params: bool, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(comparison.as_json(all_params=all_params))
        return
    runs = comparison.runs
    headers = ["", *[f"#{index} {run.label}" for index, run in enumerate(runs, start=1)]]
    run_rows = [(index, run.run_id, run.run_name, run.status) for index, run in enumerate(runs, 1)]
    target = f" — best {BEST} on {comparison.target} in its direction" if comparison.target else ""
    runs_title = f"Runs ({len(runs)}){target}"
    rows = _comparison_rows(comparison, all_params)
    if fmt is Format.MD:
        print_table(runs_title, ("#", "run id", "name", "status"), run_rows, fmt)
        sys.stdout.write("\n")
        print_table("Params and metrics", headers, rows, fmt)
        return
    print_section(runs_title, ("#", "run id", "name", "status"), run_rows, free="name")
    print_section("Params and metrics", headers, rows)
