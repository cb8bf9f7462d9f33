"""Alembic migrations shipped inside the package.

Revisions are numbered (`0001`, `0002`, …) and their files named after the number, so the head
revision is known from the file names alone: opening an up-to-date database never imports
Alembic, which keeps start-up fast. Alembic is loaded only when an upgrade is due.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

VERSIONS = Path(__file__).parent / "versions"


@cache
def known_revisions() -> tuple[str, ...]:
    """Revision ids in order, from the file names `NNNN_description.py`."""
    return tuple(sorted(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")))


def head_revision() -> str:
    return known_revisions()[-1]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic's upgrade on `engine`, all pending revisions in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
