"""Tie MLflow runs to board stories from training code.

    import mlflow
    from mlboard.tracking import story_run, tag_story

    with story_run("ML-12", run_name="lgbm-depth-8"):   # a new run, tagged with the story
        mlflow.log_metric("val_auc", 0.87)

    with mlflow.start_run():                              # or tag a run you started yourself
        tag_story("ML-12")

The link is the run tag `mlboard.story`; `mlboard sync` turns it into a link on the board. In CI,
`MLBOARD_STORY=ML-12` lets the same training script tag runs without code changes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlboard.domain import STORY_TAG

_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[0-9]+")


def story_key(key: str | None = None) -> str:
    """The given key, else `MLBOARD_STORY`; normalised and checked (`ml-12` -> `ML-12`)."""
    chosen = (key if key is not None else os.environ.get("MLBOARD_STORY", "")).strip().upper()
    if not _KEY.fullmatch(chosen):
        source = "MLBOARD_STORY" if key is None else "story key"
        raise ValueError(f"{source} {chosen or '(empty)'!r} is not a story key like ML-12")
    return chosen


def tag_story(key: str | None = None) -> str:
    """Tag the active MLflow run with a story key; return the run id.

    Raises RuntimeError when no run is active, rather than silently starting one.
    """
    import mlflow

    chosen = story_key(key)
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run to tag: call inside `with mlflow.start_run():`")
    mlflow.set_tag(STORY_TAG, chosen)
    return run.info.run_id


@contextmanager
def story_run(key: str | None = None, **start_run: Any) -> Iterator[Any]:
    """`mlflow.start_run(**start_run)` with the run tagged for the story from its first moment."""
    import mlflow

    chosen = story_key(key)
    tags = {**start_run.pop("tags", {}), STORY_TAG: chosen}
    with mlflow.start_run(tags=tags, **start_run) as run:
        yield run
