"""`mlboard drift ...` and `mlboard alert ...`: data drift checks and the alerts they raise."""

from __future__ import annotations

import typer

drift_app = typer.Typer(help="Data drift checks.", no_args_is_help=True)
alert_app = typer.Typer(
    help="Alerts from monitoring, and the stories they open.", no_args_is_help=True
)
