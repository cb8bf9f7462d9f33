"""The Planning screen and the Charts view driven as a person would, with Textual's Pilot.

The last tests cover the service functions the screen added to `mlboard/services/planning/plan.py`.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Checkbox, Input, Select
from textual_plotext import PlotextPlot

from mlboard.errors import UserError
from mlboard.services.planning.plan import (
    make_plan,
    open_sprints,
    plan_story,
    rank_beside,
    sprint_charts,
)
from mlboard.services.planning.sprints import add_sprint, start_sprint
from mlboard.services.stories.records import create_story, get_story, list_stories, rank_story
from mlboard.services.team.members import set_days_off
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.planning.charts import ChartsScreen, y_ticks
from mlboard.tui.screens.planning.dialogs import DaysOffScreen, EstimatesScreen
from mlboard.tui.screens.planning.screen import PlanningScreen, StoryList
from mlboard.tui.widgets.capacity_bar import CapacityBar, CapacityFigures, bar, labels

SIZE = (160, 45)


def backlog_keys(ws) -> list[str]:
    return [story.key for story in list_stories(ws, backlog=True)]


def shown(app: MlboardApp, which: str) -> list[str]:
    return [story.key for story in app.screen.query_one(f"#plan-{which}", StoryList).stories]


def text_of(app: MlboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def title_of(stories: StoryList) -> str:
    """Textual keeps border titles as markup: read them back as the text shown."""
    return Content.from_markup(stories.border_title or "").plain


async def open_planning(app: MlboardApp, pilot, sprint: str | None = None) -> PlanningScreen:
    await pilot.pause()
    app.push_screen(PlanningScreen(sprint))
    await pilot.pause()
    await settle(app, pilot)
    assert isinstance(app.screen, PlanningScreen)
    return app.screen


async def settle(app: MlboardApp, pilot) -> None:
    """Let the plan worker answer and its message be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def highlight(pilot, app: MlboardApp, which: str, key: str) -> StoryList:
    stories = app.screen.query_one(f"#plan-{which}", StoryList)
    stories.focus()
    stories.highlighted = stories.get_option_index(key)
    await pilot.pause()
    return stories


async def test_the_screen_shows_backlog_sprint_capacity_load_forecast_and_warnings(
    sample_workspace,
):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        assert shown(app, "backlog") == backlog_keys(sample_workspace)
        assert len(shown(app, "sprint-stories")) == 14
        assert screen.sprint == "Sprint 24"
        assert app.focused is screen.backlog
        figures = screen.capacity_bar.figures
        # the two words: 36 points in the sprint now (scope), 33 when it started (committed),
        # as the board's header and `sprint list` say
        assert (figures.scope, figures.committed, figures.capacity) == (36.0, 33.0, 28.9)
        assert figures.velocity == pytest.approx(24.33, abs=0.01)
        capacity = text_of(app, "#plan-capacity")
        assert "Scope 36 pts of 28.9 capacity (125%)" in capacity
        assert "committed 33 at the start" in capacity
        assert "7.1 pts over capacity" in capacity
        assert "▲ capacity 28.9" in capacity and "velocity 24.3" in capacity
        forecast = text_of(app, "#plan-forecast")
        assert "8 open stories" in forecast
        assert "chance to finish by Fri Nov 27: <1%" in forecast
        assert "50% by Mon Dec 07, 85% by Sat Dec 12, 95% by Wed Dec 16" in forecast
        flow = text_of(app, "#plan-flow")  # the stories done in Sprints 21-23, as `plan` says
        assert "Lead time median 14.8 d (85%: 20.5 d)" in flow
        assert "cycle time median 3.2 d (85%: 7.8 d) · 29 stories, last 3 sprints" in flow
        loads = text_of(app, "#plan-loads")
        assert "kwame" in loads and "11 / 6" in loads and "over" in loads
        warnings = text_of(app, "#plan-warnings")
        assert "⚠ over capacity: a scope of 36 points against a capacity of 28.9" in warnings
        assert "ML-44 is blocked" in warnings
        info = text_of(app, "#plan-sprint-info")
        assert "Sprint 24" in info and "3 days left" in info and "Fraud v5" in info


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_both_lists_show_stories_at_every_terminal_size(sample_workspace, size):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=size) as pilot:
        await open_planning(app, pilot)
        for which in ("backlog", "sprint-stories"):
            stories = app.screen.query_one(f"#plan-{which}", StoryList)
            assert stories.scrollable_content_region.height >= 4, which


async def test_moving_a_story_into_the_sprint_and_back_out(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        order = backlog_keys(sample_workspace)
        await highlight(pilot, app, "backlog", "ML-1")  # 5 points
        await pilot.press("right_square_bracket")
        assert screen.capacity_bar.scope == 41.0  # at once, before the plan worker answers
        await settle(app, pilot)
        story = get_story(sample_workspace, "ML-1")
        assert (story.sprint, story.status) == ("Sprint 24", "todo")
        assert "ML-1" in shown(app, "sprint-stories") and "ML-1" not in shown(app, "backlog")
        velocity = screen.plan.average_velocity
        assert screen.capacity_bar.figures == CapacityFigures(41.0, 28.9, velocity, 33.0)
        assert "Scope 41 pts" in text_of(app, "#plan-capacity")
        assert screen.backlog.story.key == order[1]  # the next story is ready to plan
        # tab to the sprint, where the moved story is highlighted, and take it back out
        await pilot.press("tab")
        assert app.focused is screen.sprint_list
        assert screen.sprint_list.story.key == "ML-1"
        await pilot.press("less_than_sign")
        await settle(app, pilot)
        story = get_story(sample_workspace, "ML-1")
        assert (story.sprint, story.status) == (None, "backlog")
        assert shown(app, "backlog") == order == backlog_keys(sample_workspace)
        assert screen.capacity_bar.scope == 36.0


async def test_keys_that_do_not_apply_where_the_focus_is_do_nothing(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        await highlight(pilot, app, "sprint-stories", "ML-52")
        await pilot.press("greater_than_sign")  # already in the sprint
        await highlight(pilot, app, "backlog", "ML-1")
        await pilot.press("left_square_bracket")  # already in the backlog
        await settle(app, pilot)
        assert get_story(sample_workspace, "ML-52").sprint == "Sprint 24"
        assert get_story(sample_workspace, "ML-1").sprint is None


async def test_a_done_story_stays_in_its_sprint(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        await highlight(pilot, app, "sprint-stories", "ML-28")
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert get_story(sample_workspace, "ML-28").sprint == "Sprint 24"
        assert any("ML-28 is done" in str(n.message) for n in app._notifications)


async def test_re_ranking_the_backlog_by_keyboard(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        first, second, third, *rest = backlog_keys(sample_workspace)
        await highlight(pilot, app, "backlog", second)
        await pilot.press("K")
        assert backlog_keys(sample_workspace) == [second, first, third, *rest]
        assert shown(app, "backlog") == [second, first, third, *rest]
        await pilot.press("K")  # already at the top: nothing changes
        assert backlog_keys(sample_workspace) == [second, first, third, *rest]
        await pilot.press("J", "shift+down")
        assert backlog_keys(sample_workspace) == [first, third, second, *rest]
        assert shown(app, "backlog") == [first, third, second, *rest]
        assert app.screen.backlog.story.key == second
        await pilot.press("shift+up")
        assert backlog_keys(sample_workspace) == [first, second, third, *rest]


async def test_re_ranking_the_sprint_list(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        before = shown(app, "sprint-stories")
        await highlight(pilot, app, "sprint-stories", before[1])
        await pilot.press("K")
        await settle(app, pilot)
        after = [s.key for s in list_stories(sample_workspace, sprint="Sprint 24")]
        assert after == [before[1], before[0], *before[2:]] == shown(app, "sprint-stories")


async def test_editing_estimates_in_the_dialog(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        await highlight(pilot, app, "backlog", "ML-6")  # a research spike with no estimate
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EstimatesScreen)
        app.screen.query_one("#estimate-points", Input).value = "-3"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "points: must be a number >= 0" in text_of(app, "#estimates-error")
        assert get_story(sample_workspace, "ML-6").points is None
        for field, value in (("points", "5"), ("estimate_low", "8"), ("estimate_high", "3")):
            app.screen.query_one(f"#estimate-{field}", Input).value = value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "estimate: low (8) is above high (3)" in text_of(app, "#estimates-error")
        assert get_story(sample_workspace, "ML-6").points is None  # nothing half-written
        for field, value in (
            ("estimate_low", "3"),
            ("estimate_high", "8"),
            ("timebox_days", "4"),
            ("gpu_hours", "12"),
            ("target", "recall_at_10 >= 0.3"),
        ):
            app.screen.query_one(f"#estimate-{field}", Input).value = value
        await pilot.press("enter")  # Enter in a field saves, too
        await settle(app, pilot)
        assert app.screen is screen
        story = get_story(sample_workspace, "ML-6")
        assert (story.points, story.estimate_low, story.estimate_high) == (5.0, 3.0, 8.0)
        assert (story.timebox_days, story.gpu_hours, str(story.target)) == (
            4.0,
            12.0,
            "recall_at_10 >= 0.3",
        )
        row = str(screen.backlog.get_option("ML-6").prompt)
        assert "ML-6" in row and "   5" in row
        assert title_of(screen.backlog) == "Backlog · 17 stories · 48 pts"


async def test_cancelling_the_estimates_dialog_changes_nothing(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        await highlight(pilot, app, "sprint-stories", "ML-52")
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#estimate-points", Input).value = "13"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert get_story(sample_workspace, "ML-52").points == 2.0


async def test_days_off_from_the_screen_change_capacity(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        await highlight(pilot, app, "sprint-stories", "ML-28")  # ana's story: ana is preselected
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, DaysOffScreen)
        assert app.screen.query_one("#days-off-member", Select).value == "ana"
        assert app.screen.query_one("#days-off-from", Input).value == "2026-11-25"  # today
        app.screen.query_one("#days-off-until", Input).value = "Friday"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "until: 'Friday' is not a date like 2026-11-30" in text_of(app, "#days-off-error")
        app.screen.query_one("#days-off-from", Input).value = "2026-11-24"
        app.screen.query_one("#days-off-until", Input).value = "2026-11-26"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        # ana: 0.7 points a day, three working days fewer (she was already off on Friday)
        assert screen.capacity_bar.capacity == pytest.approx(28.9 - 2.1)
        loads = {load.handle: load.capacity for load in screen.plan.loads}
        assert loads["ana"] == pytest.approx(6.3 - 2.1)
        assert any("added 3 days off for ana" in str(n.message) for n in app._notifications)
        # and take them back: the dialog lists them, the remove box undoes them
        await pilot.press("D")
        await pilot.pause()
        listed = text_of(app, "#days-off-current")
        assert "ana Tue Nov 24, Wed Nov 25, Thu Nov 26, Fri Nov 27" in listed
        assert "tomasz Thu Nov 26, Fri Nov 27" in listed
        app.screen.query_one("#days-off-from", Input).value = "2026-11-24"
        app.screen.query_one("#days-off-until", Input).value = "2026-11-26"
        app.screen.query_one("#days-off-remove", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.capacity_bar.capacity == pytest.approx(28.9)


async def test_a_team_day_off_lowers_everyone(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        app.screen.query_one("#days-off-member", Select).value = "@team"
        app.screen.query_one("#days-off-from", Input).value = "2026-11-27"
        app.screen.query_one("#days-off-reason", Input).value = "offsite [red]"
        await pilot.click("#days-off-save")
        await settle(app, pilot)
        # ana and tomasz are off that Friday already: kwame, priya and zoe lose a day
        assert screen.capacity_bar.capacity == pytest.approx(28.9 - (0.6 + 0.5 + 0.6))


async def test_the_charts_view_shows_burndown_burnup_and_velocity(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        await settle(app, pilot)
        assert isinstance(app.screen, ChartsScreen)
        plots = {plot.id: plot for plot in app.screen.query(PlotextPlot)}
        assert set(plots) == {"burndown-chart", "burnup-chart", "velocity-chart"}
        assert all(plot.size.width >= 70 and plot.size.height >= 18 for plot in plots.values())
        charts = app.screen.charts
        assert charts is not None and charts.sprint == "Sprint 24"
        assert [v.sprint for v in charts.velocity] == ["Sprint 21", "Sprint 22", "Sprint 23"]
        title = text_of(app, "#charts-title")
        assert "committed 33 pts at the start" in title
        assert "Nov 17 ML-57 +1 (added)" in title and "Nov 19 ML-59 +2 (added)" in title
        drawn = {name: str(plot.render()) for name, plot in plots.items()}
        assert "Burndown · Sprint 24" in drawn["burndown-chart"]
        assert "remaining" in drawn["burndown-chart"] and "ideal" in drawn["burndown-chart"]
        assert "scope" in drawn["burnup-chart"] and "completed" in drawn["burnup-chart"]
        assert "Sprint 22" in drawn["velocity-chart"] and "average 24.3" in drawn["velocity-chart"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_choosing_another_open_sprint(sample_workspace):
    add_sprint(sample_workspace, "Sprint 25", start="2026-11-30", goal="Recs A/B live")
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        assert screen.sprint == "Sprint 24"  # the active one first
        select = screen.query_one("#plan-sprint", Select)
        select.value = "Sprint 25"
        await settle(app, pilot)
        assert screen.sprint == "Sprint 25"
        assert shown(app, "sprint-stories") == []
        assert app.focused is screen.sprint_list
        assert "Recs A/B live" in text_of(app, "#plan-sprint-info")
        assert screen.capacity_bar.figures.scope == 0
        await highlight(pilot, app, "backlog", "ML-22")  # 8 points
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert get_story(sample_workspace, "ML-22").sprint == "Sprint 25"
        assert screen.capacity_bar.scope == 8.0 == screen.plan.scope_points
        assert screen.plan.sprint == "Sprint 25"
        assert screen.plan.committed_points is None  # not started: nothing committed yet
        assert "committed" not in text_of(app, "#plan-capacity")
        # the sprint key opens the list of sprints
        await pilot.press("S")
        await pilot.pause()
        assert select.expanded and select.has_focus_within


async def test_a_plan_from_a_stale_request_is_ignored(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        stale = make_plan(sample_workspace, "Sprint 24")
        plan_story(sample_workspace, "ML-22", "Sprint 24")
        screen.refresh_data()
        await settle(app, pilot)
        from mlboard.tui.screens.screen_base import Loaded

        screen.post_message(Loaded(stale, request=screen._request - 1))
        await pilot.pause()
        assert screen.plan.scope_points == 44.0 == screen.capacity_bar.scope


async def test_changes_made_elsewhere_are_read_when_the_screen_is_shown_again(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.switch_mode("planning")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlanningScreen)
        app.switch_mode("board")
        await pilot.pause()
        plan_story(sample_workspace, "ML-22", "Sprint 24")  # as the Board or the CLI would
        add_sprint(sample_workspace, "Sprint 25", start="2026-11-30")
        app.data_changed()  # what the app does when its change poll sees them
        app.switch_mode("planning")
        await settle(app, pilot)
        for _ in range(20):  # the plan arrives from a worker, by message
            if screen.plan is not None and screen.plan.scope_points == 44.0:
                break
            await settle(app, pilot)
        assert app.screen is screen
        assert "ML-22" in shown(app, "sprint-stories")
        assert screen.capacity_bar.scope == 44.0 == screen.plan.scope_points
        select = screen.query_one("#plan-sprint", Select)
        assert [value for _, value in select._options] == ["Sprint 24", "Sprint 25"]


async def test_a_move_tells_the_other_screens_to_read_again(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        version = app.data_version
        await highlight(pilot, app, "backlog", "ML-1")
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert app.data_version == version + 1 == screen.data_seen
        await pilot.press("c")  # a screen of its own: coming back reads nothing again
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen and screen.data_seen == app.data_version


async def test_titles_and_names_are_shown_literally(workspace):
    add_sprint(workspace, "[b]S1", start="2026-11-23", goal="[red]goal[/red]")
    start_sprint(workspace, "[b]S1")
    create_story(workspace, "[/bar] [red]x", {"points": "2"})
    create_story(workspace, "in [i]sprint", {"sprint": "[b]S1"})
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        assert "[/bar] [red]x" in str(app.screen.backlog.get_option_at_index(0).prompt)
        assert "in [i]sprint" in str(app.screen.sprint_list.get_option_at_index(0).prompt)
        assert title_of(app.screen.sprint_list) == "[b]S1 · 1 story · 0 pts"
        assert "[red]goal[/red]" in text_of(app, "#plan-sprint-info")
        await pilot.press("c")
        await settle(app, pilot)
        assert "[b]S1" in text_of(app, "#charts-title")


async def test_with_no_open_sprint_the_backlog_is_still_shown(workspace):
    create_story(workspace, "Collect labels", {"points": "3"})
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        assert screen.sprint is None
        assert shown(app, "backlog") == ["ML-1"]
        assert "No open sprint" in text_of(app, "#plan-sprint-info")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert get_story(workspace, "ML-1").sprint is None


def test_every_binding_has_an_id_and_a_description():
    for screen in (PlanningScreen, ChartsScreen, EstimatesScreen, DaysOffScreen, StoryList):
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id and binding.description, (screen.__name__, binding)
    ids = [b.id for b in PlanningScreen.BINDINGS]
    assert {"plan_add", "plan_remove", "rank_up", "rank_down"} <= set(ids)
    assert len(ids) == len(set(ids))


async def test_the_planning_keys_are_in_the_command_palette(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_planning(app, pilot)
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"→ Sprint", "Rank ↑", "Estimates", "Days off", "Charts"} <= commands


# The capacity bar, drawn from three numbers


def test_the_bar_fills_to_the_scope_with_markers_for_capacity_and_velocity():
    figures = CapacityFigures(36, 28.9, 24.3)
    drawn = bar(figures, 100)
    assert len(drawn.plain) == 100
    assert drawn.plain.index("┃") > drawn.plain.index("┊")
    assert drawn.plain.rstrip("░").endswith("█")
    over = [span for span in drawn.spans if span.style == "$error"]
    assert over and over[0].start == drawn.plain.index("┃") + 1
    assert "velocity 24.3 ▲" in labels(figures, 100).plain
    assert "▲ capacity 28.9" in labels(figures, 100).plain


def test_bar_labels_never_overlap():
    for velocity in range(0, 40):
        for width in (30, 60, 100):
            line = labels(CapacityFigures(20, 28.9, float(velocity)), width).plain
            assert len(line) <= width
            if width > 30:  # room for both, whatever the positions
                assert "capacity 28.9" in line and f"velocity {velocity}" in line


def test_y_ticks_are_round_numbers():
    assert y_ticks(13) == [0, 5, 10]
    assert y_ticks(45) == [0, 10, 20, 30, 40]


async def test_the_capacity_bar_widget_redraws_when_its_figures_change(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        widget = screen.query_one(CapacityBar)
        widget.figures = CapacityFigures(10.0)
        await pilot.pause()
        assert "Scope 10 pts · capacity …" in str(widget.render())


# Service functions added for the screen


def test_plan_story_moves_in_and_out_and_refuses_what_makes_no_sense(sample_workspace):
    moved = plan_story(sample_workspace, "ML-1", "Sprint 24")
    assert (moved.sprint, moved.status, moved.rank) == ("Sprint 24", "todo", 1.0)
    with pytest.raises(UserError, match="already in Sprint 24"):
        plan_story(sample_workspace, "ML-1", "Sprint 24")
    back = plan_story(sample_workspace, "ML-1", None)
    assert (back.sprint, back.status) == (None, "backlog")
    with pytest.raises(UserError, match="already in the backlog"):
        plan_story(sample_workspace, "ML-1", None)
    with pytest.raises(UserError, match="is closed"):
        plan_story(sample_workspace, "ML-1", "Sprint 23")
    with pytest.raises(UserError, match="ML-28 is done"):
        plan_story(sample_workspace, "ML-28", None)
    in_progress = plan_story(sample_workspace, "ML-47", None)
    assert (in_progress.sprint, in_progress.status) == (None, "in_progress")


def test_rank_beside_places_next_to_the_anchor_and_renumbers_when_out_of_room(workspace):
    for title in "abcd":
        create_story(workspace, title)
    rank_beside(workspace, "ML-4", "ML-2", before=True)
    assert [s.key for s in list_stories(workspace)] == ["ML-1", "ML-4", "ML-2", "ML-3"]
    rank_beside(workspace, "ML-1", "ML-3", before=False)
    assert [s.key for s in list_stories(workspace)] == ["ML-4", "ML-2", "ML-3", "ML-1"]
    # squeeze ML-1 between ML-4 and ML-2 until floats have no room left between them
    for _ in range(60):
        rank_beside(workspace, "ML-1", "ML-2", before=True)
        rank_beside(workspace, "ML-3", "ML-1", before=True)
    assert [s.key for s in list_stories(workspace)] == ["ML-4", "ML-3", "ML-1", "ML-2"]
    with pytest.raises(UserError, match="relative to itself"):
        rank_beside(workspace, "ML-1", "ML-1", before=True)


def test_rank_beside_matches_rank_story(sample_workspace):
    keys = backlog_keys(sample_workspace)
    rank_beside(sample_workspace, keys[5], keys[2], before=True)
    fast = [s.key for s in list_stories(sample_workspace)]
    rank_story(sample_workspace, keys[5], bottom=True)
    rank_story(sample_workspace, keys[5], before=keys[2])
    assert [s.key for s in list_stories(sample_workspace)] == fast


def test_open_sprints_put_the_planned_sprint_first(sample_workspace):
    add_sprint(sample_workspace, "Later", start="2027-01-04")
    add_sprint(sample_workspace, "Undated")
    add_sprint(sample_workspace, "Next", start="2026-11-30")
    names = [s.name for s in open_sprints(sample_workspace)]
    assert names == ["Sprint 24", "Next", "Later", "Undated"]
    assert make_plan(sample_workspace).sprint == names[0]


def test_sprint_charts_counts_team_days_off_as_non_working(sample_workspace):
    set_days_off(sample_workspace, None, date(2026, 11, 27), reason="offsite")
    charts = sprint_charts(sample_workspace)
    days = {row.day: row for row in charts.burndown.days}
    assert days[date(2026, 11, 26)].ideal == 0.0  # the last working day is now Thursday
    assert not days[date(2026, 11, 27)].working
    assert charts.burnup.scope[days_index(charts, date(2026, 11, 25))] == 36.0
    assert charts.average_velocity == pytest.approx(73 / 3)


def days_index(charts, day: date) -> int:
    return list(charts.burnup.days).index(day)


WEIRD = ["[/bar] [red]x", "bell\x07 and \x1b[31mescape\x1b[0m", "تدريب النموذج", "long " * 90]


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_weird_text_at_small_and_large_sizes(workspace, size):
    from mlboard.services.team.members import add_member

    add_member(workspace, "ana", "[b]Ana[/b] \u202eevil", points_per_day="1")
    add_sprint(workspace, "S1 [red]\x1b[2J", start="2026-11-23", goal="goal [/] \x00")
    for title in WEIRD:
        create_story(workspace, title, {"points": "2", "assignee": "ana"})
        create_story(workspace, title, {"sprint": "S1 [red]\x1b[2J", "assignee": "ana"})
    start_sprint(workspace, "S1 [red]\x1b[2J")
    app = MlboardApp(workspace)
    async with app.run_test(size=size) as pilot:
        screen = await open_planning(app, pilot)
        prompts = [str(option.prompt) for option in screen.backlog.options]
        assert any("[/bar] [red]x" in prompt for prompt in prompts)
        assert not [prompt for prompt in prompts if "\x1b" in prompt or "\x07" in prompt]
        for key in ("e", "escape", "D", "escape", "right_square_bracket", "c"):
            await pilot.press(key)
            await settle(app, pilot)
        assert isinstance(app.screen, ChartsScreen) and app.screen.charts is not None
        for plot in app.screen.query(PlotextPlot):
            assert "\x1b[2J" not in plot.plt.build()
