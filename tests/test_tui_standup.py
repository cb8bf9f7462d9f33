"""The Standup screen driven with Pilot on a dated week: a frozen clock and a real MLflow store.

The week is a copy of the one in tests/test_standup.py (Mon to Wed of sprint S1, read on Wednesday
09:45): Ana finished ML-1 and wrote a note, Bob moved ML-2 back and is blocked on ML-3, and
ML-5 has a new best (0.80 → 0.87, target met) and a failed run.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import replace

import pytest
from textual import events
from textual.widgets import Input, Static

from mlboard.errors import UserError
from mlboard.files import write_atomically
from mlboard.services.standup.digest import standup_digest
from mlboard.services.standup.text import digest_markdown
from mlboard.services.stories.records import create_story
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.standup.dialogs import NoteScreen, SaveDigestScreen
from mlboard.tui.screens.standup.panels import (
    MEETING_MINUTES,
    ml_for,
    ml_lines,
    timer_text,
)
from mlboard.tui.screens.standup.screen import DIGEST_DOWNLOAD, StandupScreen
from mlboard.wording import percent

from standup_week import build_week

SIZE = (150, 45)


@pytest.fixture
def week(workspace, clock, tmp_path):
    return build_week(workspace, clock, tmp_path)


def text_of(app: MlboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def person_text(app: MlboardApp) -> str:
    return "\n".join(
        text_of(app, selector)
        for selector in ("#person-heading", "#person-board", "#person-ml", "#person-cards")
    )


async def open_standup(app: MlboardApp, pilot, *, loaded: bool = True) -> StandupScreen:
    await pilot.pause()
    screen = StandupScreen()
    app.push_screen(screen)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert (screen.standup is not None) is loaded
    return screen


async def test_walking_the_team_one_person_at_a_time(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        ana = person_text(app)
        assert "Ana Souza" in ana and "@ana" in ana and "1 / 2" in ana
        assert "Done since the last standup" in ana and "ML-1 Churn model" in ana
        assert "ML-4" not in text_of(app, "#person-board")  # Monday's news, told on Tuesday
        assert "finished churn" in ana and "fraud eval" in ana
        assert "ML-5" in text_of(app, "#person-ml")  # her story's new best, beside her

        await pilot.press("n")
        await pilot.pause()
        bob = person_text(app)
        assert "Bob Ng" in bob and "2 / 2" in bob
        assert "waiting on legal" in bob
        assert "Moved back" in bob and "ML-2 In Progress → To Do" in bob
        assert "Ana Souza" not in bob
        assert "nothing since the last standup" in text_of(app, "#person-ml")
        cards = text_of(app, "#person-cards")
        assert "Their cards in S1 (2)" in cards and "ML-3    In Progress ⊘ Legal" in cards

        await pilot.press("right")  # wraps around
        await pilot.pause()
        assert "Ana Souza" in person_text(app)
        await pilot.press("left")
        await pilot.pause()
        assert "Bob Ng" in person_text(app)
        await pilot.press("N")  # p is the Planning screen's, everywhere
        await pilot.pause()
        assert "Ana Souza" in person_text(app)


async def test_header_shows_the_window_and_the_sprint_pulse(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        assert "since Tue Nov 24 09:30 → now" in text_of(app, "#standup-window")
        pulse = text_of(app, "#standup-pulse")
        assert "S1: 3 days left" in pulse
        assert "11 pts remaining (ideal 3.4)" in pulse
        assert "chance to finish" in pulse and "at the last standup" in pulse
        assert "00:00" in text_of(app, "#standup-timer")


async def test_the_team_ml_panel_shows_new_bests_and_failed_runs(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        ml = text_of(app, "#team-ml")
        assert "Runs (1 finished, 1 failed)" in ml
        assert "ML-5" in ml and "1 finished" in ml and "1 failed: nan-loss" in ml
        assert "val_auc 0.8 → 0.87" in ml and "target met ✓" in ml
        assert "Targets met (1)" in ml and "val_auc >= 0.85 (0.87)" in ml


async def test_copy_puts_the_markdown_digest_on_the_clipboard(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == digest_markdown(standup_digest(week))
        assert app.clipboard.startswith("## Standup since Tue Nov 24 09:30")


async def test_save_writes_the_markdown_to_a_file(week, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_standup(app, pilot)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, SaveDigestScreen)
        assert app.screen.query_one("#save-path", Input).value == "standup-2026-11-25.md"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        saved = out / "standup-2026-11-25.md"
        assert saved.read_text(encoding="utf-8") == digest_markdown(standup_digest(week))
        assert list(out.iterdir()) == [saved]  # no temporary file left behind


async def test_save_errors_are_shown_in_the_dialog(week, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        await pilot.press("S")
        await pilot.pause()
        box = app.screen.query_one("#save-path", Input)
        box.value = "no-such-folder/standup.md"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveDigestScreen)
        assert "no-such-folder does not exist" in text_of(app, "#save-error")

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", denied)  # as root, chmod would not stop it
        box.value = "standup.md"
        await pilot.press("enter")
        await pilot.pause()
        assert f"cannot write in {out}: Permission denied" in text_of(app, "#save-error")
        assert list(out.iterdir()) == []
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StandupScreen)


async def test_in_a_browser_tab_save_is_a_download_and_writes_nothing_here(
    week, tmp_path, monkeypatch
):
    """Served by `mlboard serve`, no dialog asks for a path on the server: the digest is handed
    to the driver as a download (a browser's download; the test's terminal driver puts it in the
    downloads folder, here a folder of the test's own)."""
    out, home = tmp_path / "out", tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    out.mkdir()
    monkeypatch.chdir(out)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("MLBOARD_SERVED", "1")
    delivered = asyncio.Event()
    deliveries: list[events.DeliveryComplete | events.DeliveryFailed] = []

    def on_message(message: object) -> None:
        if isinstance(message, (events.DeliveryComplete, events.DeliveryFailed)):
            deliveries.append(message)
            delivered.set()

    app = MlboardApp(week)
    async with app.run_test(size=SIZE, message_hook=on_message, notifications=True) as pilot:
        screen = await open_standup(app, pilot)
        await pilot.press("S")
        await pilot.pause()
        assert app.screen is screen  # no dialog
        said = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert said == ["Digest\nstandup-2026-11-25.md is on its way to your browser."]
        await delivered.wait()  # the delivery started with the message: it ends, or it fails
    [delivery] = deliveries
    assert isinstance(delivery, events.DeliveryComplete), delivery
    assert delivery.name == DIGEST_DOWNLOAD
    assert delivery.path == home / "Downloads" / "standup-2026-11-25.md"
    assert delivery.path.read_text(encoding="utf-8") == digest_markdown(standup_digest(week))
    assert list(out.iterdir()) == []


async def test_the_note_dialog_writes_the_note_shown_in_the_panel(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        await pilot.press("n", "w")  # Bob has no note yet
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"legal review", "enter", *"unblock [red]ML-3", "enter")
        await pilot.press(*"legal sign-off", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StandupScreen)
        bob = person_text(app)
        assert "Bob Ng" in bob  # still on the same person after the refresh
        assert "legal review" in bob and "unblock [red]ML-3" in bob and "legal sign-off" in bob
        bob_note = next(p for p in standup_digest(week).as_json()["people"] if p["member"] == "bob")
        assert bob_note["note"]["today"] == "unblock [red]ML-3"


async def test_the_timer_starts_pauses_and_resets(week):
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_standup(app, pilot)
        assert not screen.timer_running and screen.ticker is None  # no timer while idle
        assert "00:00" in text_of(app, "#standup-timer")
        await pilot.press("t")
        assert screen.timer_running and screen.ticker is not None
        await pilot.press("t")
        assert not screen.timer_running and screen.ticker is None
        screen.elapsed = 11 * 60 + 5
        screen.show_timer()
        assert "11:05" in text_of(app, "#standup-timer")
        await pilot.press("T")
        assert screen.elapsed_seconds() == 0 and "00:00" in text_of(app, "#standup-timer")


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path, monkeypatch):
    target = tmp_path / "standup.md"
    target.write_text("yesterday's", encoding="utf-8")

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(UserError, match="No space left on device"):
        write_atomically(target, "today's")
    assert [p.name for p in tmp_path.iterdir()] == ["standup.md"]
    assert target.read_text(encoding="utf-8") == "yesterday's"


def test_the_timer_warns_past_the_meeting_length():
    assert "$warning" not in str(timer_text(MEETING_MINUTES * 60 - 1, True).spans)
    late = timer_text(MEETING_MINUTES * 60, True)
    assert late.plain.startswith(f"◷ {MEETING_MINUTES:02d}:00")
    assert any("$warning" in str(span.style) for span in late.spans)


def test_percent_keeps_small_chances_visible():
    assert [percent(v) for v in (None, 0, 0.0003, 0.4, 0.999, 1)] == [
        "—",
        "0%",
        "<1%",
        "40%",
        ">99%",
        "100%",
    ]


def test_ml_news_is_narrowed_to_a_persons_stories():
    ml = {
        "runs_finished": [{"run_id": "a", "stories": ["ML-1"]}, {"run_id": "b", "stories": []}],
        "runs_failed": [],
        "new_bests": [{"story": "ML-2"}],
        "targets_met": [],
        "long_running": [],
        "overfitting": [],
        "models": [{"name": "m", "stories": ["ML-2", "ML-9"]}],
    }
    mine = ml_for(ml, {"ML-2"})
    assert mine["runs_finished"] == [] and mine["new_bests"] == [{"story": "ML-2"}]
    assert mine["models"] == ml["models"]


def test_the_team_ml_panel_is_concise_on_a_busy_day():
    run = {"run_id": "r", "status": "FINISHED", "stories": ["ML-7"]}
    ml = {
        "runs_finished": [{**run, "run_name": f"sweep-{i}"} for i in range(40)],
        "runs_failed": [{**run, "run_name": "oom [b]", "status": "KILLED", "stories": []}],
        "new_bests": [],
        "targets_met": [],
        "long_running": [{**run, "message": "run 'big' has been running for 9 h"}],
        "overfitting": [{"story": "ML-7", "run_id": "r", "message": "run 'x' overfits"}],
        "models": [
            *(
                {"name": "fraud", "version": v, "aliases": [], "event": "registered",
                 "stories": ["ML-7"]}
                for v in (1, 2)
            ),
            {"name": "fraud", "version": 3, "aliases": ["champion"], "event": "aliases",
             "stories": ["ML-7", "ML-9"]},
            {"name": "ranker", "version": 1, "aliases": [], "event": "registered", "stories": []},
        ],
        "story_warnings": [
            {"story": "ML-7", "kind": "over_budget",
             "message": "ML-7 has used 41.0 of its 40 GPU-hours"}
        ],
    }  # fmt: skip
    text = ml_lines(ml, quiet="").plain
    assert "Runs (40 finished, 1 failed)" in text
    assert text.index("no story") < text.index("ML-7     ✓ 40 finished")  # failures first
    assert "✗ 1 failed: oom [b] (killed)" in text
    assert "◷ ML-7 run 'big' has been running for 9 h" in text
    assert "⚠ ML-7 run 'x' overfits" in text
    assert "◆ fraud v3 aliases now @champion  · ML-7, ML-9" in text
    assert "◆ fraud registered v1, v2  · ML-7\n" in text  # the story that made them
    assert text.endswith("◆ ranker registered v1")  # no story: nothing after it
    assert "GPU budget and plateaus (1)\n⚠ ML-7 has used 41.0 of its 40 GPU-hours" in text
    assert ml_lines({key: [] for key in ml}, quiet="quiet day").plain == "quiet day"


async def test_a_bad_setting_is_said_where_the_digest_would_be(week):
    week.settings = replace(week.settings, standup_time="nine [b]")
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot, loaded=False)
        assert "standup_time 'nine [b]' is not a time like 09:30" in text_of(app, "#standup-pulse")
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == ""


async def test_titles_and_notes_are_shown_literally(week):
    create_story(week, "[/bar] [red]x", {"sprint": "S1", "assignee": "bob"})
    app = MlboardApp(week)
    async with app.run_test(size=SIZE) as pilot:
        await open_standup(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert "[/bar] [red]x" in person_text(app)
