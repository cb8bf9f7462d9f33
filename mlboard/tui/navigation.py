"""Asking the app to open a story, a run, or runs side by side.

A view that wants another view posts one of these messages; it bubbles up to the app, which
opens the view (`tui/screens/opening.py`). So the story, run and compare views, Experiments and
the board can all open each other while none imports another: each knows only these messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class OpenStory(Message):
    """Open the story's detail."""

    key: str


@dataclass
class OpenRun(Message):
    """Open the run's view."""

    run_id: str


@dataclass
class OpenCompare(Message):
    """Compare a story's finished runs (`story`), or the runs given (`run_ids`)."""

    story: str | None = None
    run_ids: tuple[str, ...] = ()
