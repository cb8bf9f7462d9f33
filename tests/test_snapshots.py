"""Snapshots of the key screens on the sample team (review every change you accept)."""

from __future__ import annotations

from mlboard.tui.app import MlboardApp

SIZE = (150, 44)


def test_board_on_the_sample_team(snap_compare, sample_workspace):
    assert snap_compare(MlboardApp(sample_workspace), terminal_size=SIZE)


def test_story_detail(snap_compare, sample_workspace):
    async def open_first_review_card(pilot) -> None:
        await pilot.pause()
        cards = pilot.app.screen.query_one("#cards-review")
        cards.focus()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(
        MlboardApp(sample_workspace), terminal_size=SIZE, run_before=open_first_review_card
    )


def test_filtered_board(snap_compare, sample_workspace):
    assert snap_compare(
        MlboardApp(sample_workspace), terminal_size=SIZE, press=["slash", *"@zoe", "enter"]
    )
