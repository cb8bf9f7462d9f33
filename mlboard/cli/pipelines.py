"""`mlboard pipeline ...`: data pipelines and their runs."""

from __future__ import annotations

import typer

app = typer.Typer(help="Data pipelines: runs, freshness, lineage events.", no_args_is_help=True)
