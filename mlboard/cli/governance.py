"""Responsible-ML commands: `story check|gates`, `model card|list`, `dataset list|label`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    Wide,
    console,
    error_console,
    json_text,
    markdown_cell,
    markdown_table,
    plain,
    print_json,
    print_section,
    print_table,
)

if TYPE_CHECKING:
    from mlboard.services.gates import GateReport

model_app = typer.Typer(help="Registered models and their model cards.", no_args_is_help=True)
dataset_app = typer.Typer(
    help="Datasets runs logged, and their sensitivity labels.", no_args_is_help=True
)

KeyArgument = Annotated[str, typer.Argument(help="Story key, e.g. ML-12.")]
FormatOption = Annotated[Format, typer.Option("--format", help="text, md or json.")]


class CardFormat(StrEnum):
    MD = "md"
    JSON = "json"


# --------------------------------------------------------------------------------------------
# mlboard story check | gates
# --------------------------------------------------------------------------------------------


def check(
    ctx: typer.Context,
    key: KeyArgument,
    item: Annotated[
        str,
        typer.Argument(
            help="model_card, bias_evaluation, privacy_review, approval, accepted_below_target, "
            "or an item your team configured in [tool.mlboard.done]."
        ),
    ],
    note: Annotated[
        str, typer.Option(help="What was done or decided (required for accepted_below_target).")
    ] = "",
    link: Annotated[str, typer.Option(help="Where the evidence is: a URL or a path.")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Uncheck the item.")] = False,
) -> None:
    """Check a Definition-of-Done item on a story; who and when are recorded."""
    from mlboard.services.gates import check_item

    checked = check_item(ctx.obj.workspace(), key, item, note=note, link=link, remove=remove)
    if checked is None:
        console().print(Text(f"unchecked {item} on {key.upper()}"))
    else:
        console().print(Text(f"checked {checked.item} on {key.upper()} as {checked.by}"))


def gates(
    ctx: typer.Context, key: KeyArgument, fmt: FormatOption = Format.TEXT, wide: Wide = False
) -> None:
    """List the gates a story must pass to move to done, and whether it may."""
    from mlboard.services.gates import story_gates

    report = story_gates(ctx.obj.workspace(), key)
    if fmt is Format.JSON:
        print_json(report.as_json())
        return
    rows = [
        (
            gate.item,
            gate.required_because,
            "✓" if gate.done else "✗",
            gate.by,
            gate.at.strftime("%Y-%m-%d %H:%M") if gate.at else None,
            " ".join(part for part in (gate.note, gate.link) if part),
        )
        for gate in report.gates
    ]
    headers = ("item", "required because", "done", "by", "at", "note")
    title = f"{report.key} gates · sensitivity {_sensitivity(report)}"
    if fmt is Format.MD:
        verdict = markdown_cell(_verdict(report))
        sys.stdout.write(markdown_table(title, headers, rows) + "\n" + verdict + "\n")
        return
    out = console()
    if rows:
        print_section(title, headers, rows, free="note", wide=wide)
    else:
        out.print(Text(f"{title}: no gates apply"))
    out.print(Text(_verdict(report), style="green" if report.may_move_to_done else "red"))


def _sensitivity(report: GateReport) -> str:
    sources = ", ".join(report.sensitivity_sources)
    return report.sensitivity + (f" (from {sources})" if sources else "")


def _verdict(report: GateReport) -> str:
    if report.may_move_to_done:
        return f"{report.key} may move to done"
    return report.refusal()


# --------------------------------------------------------------------------------------------
# mlboard model card | list
# --------------------------------------------------------------------------------------------


@model_app.command("card")
def card(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[int | None, typer.Option(help="Model version (default: champion).")] = None,
    alias: Annotated[str | None, typer.Option(help="Model alias, e.g. champion.")] = None,
    fmt: Annotated[CardFormat, typer.Option("--format", help="md or json.")] = CardFormat.MD,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the card to this file.")
    ] = None,
    attach: Annotated[
        bool, typer.Option("--attach", help="Check model_card on the story's checklist.")
    ] = False,
    log_to_run: Annotated[
        bool,
        typer.Option("--log-to-run", help="Log model_card.md as an artifact of the version's run."),
    ] = False,
) -> None:
    """Generate a model card from what the board knows; gaps are marked TODO."""
    from mlboard.services.model_card import (
        attach_card,
        build_model_card,
        log_card_to_run,
        write_atomically,
    )

    workspace = ctx.obj.workspace()
    model_card = build_model_card(workspace, name, version=version, alias=alias)
    text = (
        model_card.as_markdown() if fmt is CardFormat.MD else json_text(model_card.as_json()) + "\n"
    )
    notes = console() if output else error_console()
    link = ""
    if output is not None:
        write_atomically(output, text)
        link = str(output.expanduser().resolve())
        notes.print(Text(f"wrote the card of {model_card.name} v{model_card.version} to {output}"))
    if log_to_run:
        link = log_card_to_run(model_card)
        notes.print(Text(f"logged the card to {link}"))
    if attach:
        story = attach_card(workspace, model_card, link)
        notes.print(Text(f"checked model_card on {story}"))
    if output is None:
        sys.stdout.write(text)


@model_app.command("list")
def list_models(ctx: typer.Context, fmt: FormatOption = Format.TEXT, wide: Wide = False) -> None:
    """List registered model versions with their aliases, runs and stories."""
    from mlboard.services.experiments import list_model_versions

    versions = list_model_versions(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json([version.as_json() for version in versions])
        return
    rows = [
        (
            v.name,
            v.version,
            ", ".join(v.aliases),
            v.status,
            v.run_name or v.run_id,
            ", ".join(v.stories),
            v.created_at.strftime("%Y-%m-%d") if v.created_at else None,
        )
        for v in versions
    ]
    headers = ("model", "version", "aliases", "status", "run", "stories", "registered")
    print_table(f"Model versions ({len(versions)})", headers, rows, fmt, wide=wide)


# --------------------------------------------------------------------------------------------
# mlboard dataset list | label
# --------------------------------------------------------------------------------------------


@dataset_app.command("list")
def list_datasets(ctx: typer.Context, fmt: FormatOption = Format.TEXT, wide: Wide = False) -> None:
    """List the datasets synced runs logged (mlflow.log_input), with their labels."""
    from mlboard.services.sensitivity import list_datasets as datasets

    found = datasets(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json([dataset.as_json() for dataset in found])
        return
    rows = [(d.name, d.sensitivity, d.versions, d.runs, d.source) for d in found]
    headers = ("dataset", "sensitivity", "versions", "runs", "source")
    print_table(f"Datasets ({len(found)})", headers, rows, fmt, free="source", wide=wide)


@dataset_app.command("label")
def label(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name, as logged to MLflow.")],
    level: Annotated[str, typer.Argument(help="none, internal, personal or special_category.")],
) -> None:
    """Set a dataset's sensitivity; stories whose runs used it inherit it."""
    from mlboard.services.sensitivity import label_dataset

    old, new = label_dataset(ctx.obj.workspace(), name, level)
    console().print(Text(f"dataset {name}: {plain(old)} → {new}"))
