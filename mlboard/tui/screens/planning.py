"""Planning: the ranked backlog beside a sprint, with capacity, load, forecast and warnings.

Stories move between the two lists with `]` and `[`, re-rank with `K`/`J` and get estimates with
`e`; `D` records days off, `c` opens the charts, `S` picks another open sprint. Both lists are
OptionLists (only the lines in view are drawn), kept in memory and updated in place after each
move: the backlog can hold thousands of stories. The commitment on the capacity bar changes at
once (it is the sum of the sprint list's points); everything else comes from `make_plan`, which
runs in a thread worker and answers with a message.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from mlboard.errors import UserError
from mlboard.services.members import availability, list_members, set_days_off
from mlboard.services.planning import (
    MemberLoad,
    OpenSprint,
    Plan,
    make_plan,
    open_sprints,
    plan_story,
    rank_beside,
)
from mlboard.services.stories import StoryView, edit_story, get_story, list_stories
from mlboard.services.workspace import Workspace
from mlboard.tui.screens.story_form import TEXT_FIELDS, current_text
from mlboard.tui.widgets.capacity_bar import CapacityBar, CapacityFigures, bar, scale_of
from mlboard.tui.widgets.card import KIND_STYLES

STATUS_MARKS = {
    "backlog": ("○", "$text-muted"),
    "todo": ("○", "$foreground"),
    "in_progress": ("◐", "$warning"),
    "review": ("◑", "$accent"),
    "done": ("●", "$success"),
}
LOAD_BAR = 24
MOVE = Binding.Group("Move")  # the footer shows `] [ Move`, the palette each key's description
RANK = Binding.Group("Rank")
DOT = ("  ·  ", "$text-muted")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def story_row(story: StoryView) -> Content:
    """One line: status, key, points, kind, owner, title (user text, always literal)."""
    mark, style = (
        ("⊘", "bold $error") if story.blocked else STATUS_MARKS.get(story.status, ("?", ""))
    )
    points = "?" if story.points is None else f"{story.points:g}"
    owner = f"@{story.assignee}" if story.assignee else ""
    return Content.assemble(
        (mark, style),
        " ",
        (f"{story.key:<8}", "bold"),
        (f"{points:>4}", "bold $warning" if story.points is None else "bold"),
        "  ",
        (f"{story.kind:<11}", KIND_STYLES.get(story.kind, "")),
        (f"{_fit(owner, 8):<9}", "$text-primary"),
        story.title,
    )


def sprint_info(sprint: OpenSprint | None, today: date) -> Content:
    if sprint is None:
        return Content.assemble(
            ("No open sprint. ", "bold"),
            "Add one with `mlboard sprint add NAME` to plan into it.",
        )
    parts: list[str | tuple[str, str]] = [(sprint.name, "bold"), "  ", (sprint.state, "$accent")]
    if sprint.start and sprint.end:
        left = max((sprint.end - today).days + 1, 0)
        parts += [DOT, f"{sprint.start:%a %b %d} → {sprint.end:%a %b %d}"]
        if sprint.start <= today:
            parts += [DOT, f"{left} day{'s' if left != 1 else ''} left"]
    lines = [Content.assemble(*parts)]
    if sprint.goal:
        lines.append(Content.styled(sprint.goal, "italic"))
    return Content("\n").join(lines)


def _chance(p: float | None) -> str:
    if p is None:
        return "—"
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{p:.0%}"


def forecast_line(plan: Plan) -> Content:
    """`8 stories open · chance to finish by Fri Nov 27: 12% · 50% by …, 85% by …, 95% by …`."""
    if plan.remaining == 0:
        return Content.assemble(("Forecast  ", "bold"), ("every story in the sprint is done", ""))
    end = f"{plan.end:%a %b %d}" if plan.end else "the end"
    chance = plan.p_finish_sprint
    style = "bold $success" if chance and chance >= 0.85 else "bold $warning"
    if chance is not None and chance < 0.5:
        style = "bold $error"
    parts: list[str | tuple[str, str]] = [
        ("Forecast  ", "bold"),
        f"{plan.remaining} open stor{'y' if plan.remaining == 1 else 'ies'}",
        DOT,
        f"chance to finish by {end}: ",
        (_chance(chance), style),
    ]
    when = [
        f"{label} by {day:%a %b %d}"
        for label, day in (("50%", plan.p50), ("85%", plan.p85), ("95%", plan.p95))
        if day
    ]
    if when:
        parts += [DOT, ", ".join(when)]
    if plan.forecast_note:
        parts += [DOT, (plan.forecast_note, "$text-muted")]
    return Content.assemble(*parts)


def load_lines(loads: list[MemberLoad]) -> Content:
    """Per member: assigned points against capacity (┃), over-capacity in $error, on one scale."""
    if not loads:
        return Content.styled(
            "No active members: add them with `mlboard member add`.", "$text-muted"
        )
    scale = scale_of(*(max(load.assigned, load.capacity) for load in loads))
    width = max(len(load.handle) for load in loads)
    rows = []
    for load in loads:
        figures = f"{load.assigned:g} / {load.capacity:.1f}".removesuffix(".0")
        rows.append(
            Content.assemble(
                (f"{load.handle:<{width}}  ", "$text-primary"),
                bar(CapacityFigures(load.assigned, load.capacity), LOAD_BAR, scale),
                f"  {figures:>11}",
                ("  over" if load.over else "", "bold $error"),
            )
        )
    return Content("\n").join(rows)


def warning_lines(warnings: list[str]) -> Content:
    if not warnings:
        return Content.styled("✓ nothing to warn about", "$success")
    return Content("\n").join(
        [Content.assemble(("⚠ ", "bold $warning"), warning) for warning in warnings]
    )


def _order(story: StoryView) -> tuple[float, int]:
    """The rank order `list_stories` returns: rank, then the key's number."""
    number = story.key.rsplit("-", 1)[-1]
    return story.rank, int(number) if number.isdigit() else 0


class PlanComputed(Message):
    def __init__(self, plan: Plan, request: int) -> None:
        super().__init__()
        self.plan = plan
        self.request = request


class PlanFailed(Message):
    def __init__(self, text: str, request: int) -> None:
        super().__init__()
        self.text = text
        self.request = request


class StoryList(OptionList):
    """Stories one per line; `show` replaces them, reusing the rendered lines of unchanged ones."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="card_down"),
        Binding("k", "cursor_up", "Up", show=False, id="card_up"),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self.stories: list[StoryView] = []
        self._rows: dict[StoryView, Option] = {}

    @property
    def story(self) -> StoryView | None:
        index = self.highlighted
        return self.stories[index] if index is not None and index < len(self.stories) else None

    def show(self, stories: list[StoryView], select: str | None = None) -> None:
        """Replace the stories; highlight `select`, else the same story, else the same place."""
        current = self.story
        index = self.highlighted
        rows = {
            story: self._rows.get(story) or Option(story_row(story), id=story.key)
            for story in stories
        }
        self._rows = rows
        self.stories = stories
        self.set_options(rows[story] for story in stories)
        keys = [story.key for story in stories]
        wanted = select or (current.key if current else None)
        if wanted in keys:
            self.highlighted = keys.index(wanted)  # type: ignore[arg-type]
        elif keys:
            self.highlighted = min(index or 0, len(keys) - 1)

    def replace(self, story: StoryView) -> None:
        self.show([story if s.key == story.key else s for s in self.stories], select=story.key)

    def title(self, name: Content | str) -> None:
        points = sum(story.points or 0 for story in self.stories)
        count = len(self.stories)
        self.border_title = Content.assemble(
            name if isinstance(name, Content) else (name, "bold"),
            f" · {count} stor{'y' if count == 1 else 'ies'} · {points:g} pts",
        )


class PlanningScreen(Screen[None]):
    """Backlog left, sprint right; `tab` or the arrows switch lists."""

    CSS_PATH = "../planning.tcss"
    SUB_TITLE = "Planning"
    AUTO_FOCUS = "#plan-backlog"
    BINDINGS = [
        Binding(
            "right_square_bracket,greater_than_sign",
            "plan_add",
            "→ Sprint",
            tooltip="Move the story into the sprint",
            id="plan_add",
            group=MOVE,
        ),
        Binding(
            "left_square_bracket,less_than_sign",
            "plan_remove",
            "← Backlog",
            tooltip="Move the story back to the backlog",
            id="plan_remove",
            group=MOVE,
        ),
        Binding(
            "K,shift+up",
            "rank(-1)",
            "Rank ↑",
            tooltip="Rank the story up",
            id="rank_up",
            group=RANK,
        ),
        Binding(
            "J,shift+down",
            "rank(1)",
            "Rank ↓",
            tooltip="Rank the story down",
            id="rank_down",
            group=RANK,
        ),
        Binding("e", "estimates", "Estimates", id="plan_estimates"),
        Binding("D", "days_off", "Days off", id="plan_days_off"),  # d: the Data screen
        Binding("c", "charts", "Charts", id="plan_charts"),
        Binding("S", "choose_sprint", "Sprint…", show=False, id="plan_choose_sprint"),
        Binding("r", "reload", "Refresh", show=False, id="plan_refresh"),
        Binding("tab,shift+tab", "switch_list", "Other list", show=False, id="plan_switch_list"),
        Binding("left,h", "focus_list('backlog')", "Backlog", show=False, id="plan_backlog"),
        Binding("right,l", "focus_list('sprint')", "Sprint", show=False, id="plan_sprint"),
        Binding("escape", "back", "Back", show=False, id="plan_back"),
    ]

    def __init__(self, sprint: str | None = None) -> None:
        super().__init__()
        self.sprint = sprint
        self.sprints: list[OpenSprint] = []
        self.plan: Plan | None = None
        self.data_seen = -1
        self._request = 0
        self._keys_state: tuple[object, ...] = ()
        # kept, not queried: `check_action` runs while the screen is being taken down, too
        self.backlog = StoryList(id="plan-backlog")
        self.sprint_list = StoryList(id="plan-sprint-stories")
        self.capacity_bar = CapacityBar(id="plan-capacity")

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        self.sprints = open_sprints(self.workspace)
        names = [s.name for s in self.sprints]
        if self.sprint not in names:
            self.sprint = names[0] if names else None
        yield Header()
        with Horizontal(id="plan-head"):
            yield self._sprint_select()
            yield Static(id="plan-sprint-info")
        yield self.capacity_bar
        yield Static(id="plan-forecast")
        with Horizontal(id="plan-lists"):
            yield self.backlog
            yield self.sprint_list
        with Horizontal(id="plan-details"):
            with VerticalScroll(id="plan-loads-box") as box:
                box.border_title = "Load · assigned / capacity"
                yield Static(id="plan-loads")
            with VerticalScroll(id="plan-warnings-box") as box:
                box.border_title = "Warnings"
                yield Static(id="plan-warnings")
        yield Footer()

    def _sprint_select(self) -> Select[str]:
        names = [s.name for s in self.sprints]
        if self.sprint:
            options = [(Text(name), name) for name in names]  # Text: names are never markup
            select = Select(options, value=self.sprint, allow_blank=False, id="plan-sprint")
        else:
            select = Select([], prompt="No open sprint", disabled=True, id="plan-sprint")
        select.tooltip = "The sprint to plan into (S)"
        return select

    def _read_sprints(self) -> None:
        """Sprints may have been added, started or closed elsewhere: keep the choice in step."""
        before = [s.name for s in self.sprints]
        self.sprints = open_sprints(self.workspace)
        names = [s.name for s in self.sprints]
        if self.sprint not in names:
            self.sprint = names[0] if names else None
        if names != before:
            self.call_next(self._replace_select)

    async def _replace_select(self) -> None:
        await self.query_one("#plan-sprint", Select).remove()
        await self.query_one("#plan-head").mount(self._sprint_select(), before=0)

    def on_mount(self) -> None:
        self.reload(first=True)
        if not self.backlog.stories:  # else the backlog has it already (AUTO_FOCUS)
            self.sprint_list.focus()

    def reload(self, *, first: bool = False, sprints: bool = False) -> None:
        """Read both lists again and recompute the plan (after the paint, on the first load);
        `sprints` reads the open sprints too."""
        ws = self.workspace
        if sprints:
            self._read_sprints()
        self.data_seen = getattr(self.app, "data_version", 0)
        self.backlog.show(list_stories(ws, backlog=True))
        self.sprint_list.show(list_stories(ws, sprint=self.sprint) if self.sprint else [])
        chosen = next((s for s in self.sprints if s.name == self.sprint), None)
        today = ws.now().astimezone().date()
        self.query_one("#plan-sprint-info", Static).update(sprint_info(chosen, today))
        if first:
            self.call_after_refresh(self.recompute)
        else:
            self.recompute()

    def action_reload(self) -> None:
        self.reload(sprints=True)

    def refresh_data(self) -> None:
        """Something changed behind the screen's back (a sync, another screen): read it again."""
        self.reload(sprints=True)

    def on_screen_resume(self) -> None:
        """Shown again: read again if data changed meanwhile. The app counts changes made by
        others (its change poll) and by other screens; this screen's own dialogs update the
        lists through their callbacks."""
        if self.is_mounted and self.data_seen != getattr(self.app, "data_version", 0):
            self.reload(sprints=True)

    def _changed(self) -> None:
        """This screen wrote to the database: other screens read again when shown."""
        if hasattr(self.app, "data_version"):
            self.app.data_version += 1
            self.data_seen = self.app.data_version

    def recompute(self) -> None:
        """Show the new commitment now; ask a worker for everything else."""
        self.backlog.title("Backlog")
        self.sprint_list.title(Content.styled(self.sprint or "No open sprint", "bold"))
        committed = sum(story.points or 0 for story in self.sprint_list.stories)
        known = self.plan if self.plan and self.plan.sprint == self.sprint else None
        self.capacity_bar.figures = CapacityFigures(
            committed,
            known.capacity_points if known else None,
            known.average_velocity if known else None,
        )
        self._request += 1
        self.capacity_bar.display = self.sprint is not None
        if self.sprint is None:
            self.plan = None
            for panel in ("#plan-forecast", "#plan-loads", "#plan-warnings"):
                self.query_one(panel, Static).update("")
            return
        self._compute_plan(self.workspace, self.sprint, self._request)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _compute_plan(self, workspace: Workspace, sprint: str, request: int) -> None:
        """Thread worker: reads only, touches no widget, answers with a message."""
        try:
            plan = make_plan(workspace, sprint)
        except UserError as error:
            self.post_message(PlanFailed(error.message, request))
            return
        self.post_message(PlanComputed(plan, request))

    @on(PlanComputed)
    def plan_computed(self, message: PlanComputed) -> None:
        if message.request != self._request or not self.capacity_bar.is_attached:
            return  # a later move asked again (its answer is on the way), or the screen closed
        plan = self.plan = message.plan
        self.capacity_bar.figures = CapacityFigures(
            plan.committed_points, plan.capacity_points, plan.average_velocity
        )
        self.query_one("#plan-forecast", Static).update(forecast_line(plan))
        self.query_one("#plan-loads", Static).update(load_lines(plan.loads))
        self.query_one("#plan-warnings", Static).update(warning_lines(plan.warnings))
        self.query_one("#plan-warnings-box").border_title = f"Warnings ({len(plan.warnings)})"

    @on(PlanFailed)
    def plan_failed(self, message: PlanFailed) -> None:
        if message.request == self._request:
            self.notify(message.text, title="Plan", severity="warning", markup=False)

    def focused_list(self) -> StoryList | None:
        return self.focused if isinstance(self.focused, StoryList) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that do nothing where the focus is are shown dimmed in the footer."""
        focused = self.focused_list()
        if action == "plan_add":
            return bool(self.sprint and focused is self.backlog and focused.story) or None
        if action == "plan_remove":
            return bool(focused is self.sprint_list and focused.story) or None
        if action in ("rank", "estimates"):
            return bool(focused and focused.story) or None
        if action == "choose_sprint":
            return bool(self.sprints) or None
        if action == "back":
            return len(self.app.screen_stack) > 1
        return True

    @on(OptionList.OptionHighlighted)
    def _highlight_moved(self) -> None:
        """Refresh the footer only when a key's availability changes: rebuilding it on every
        highlight costs more than the rest of a move (focus changes refresh it already)."""
        focused = self.focused_list()
        state = (focused, bool(focused and focused.story), self.sprint)
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def _notify_error(self, error: UserError) -> None:
        self.notify(error.message, severity="warning", markup=False)

    def _move(self, source: StoryList, target: StoryList, sprint: str | None) -> None:
        story = source.story
        if story is None:
            return
        try:
            moved = plan_story(self.workspace, story.key, sprint)
        except UserError as error:
            self._notify_error(error)
            return
        self._changed()
        source.show([s for s in source.stories if s.key != moved.key])
        target.show(sorted([*target.stories, moved], key=_order), select=moved.key)
        self.recompute()

    def action_plan_add(self) -> None:
        if self.sprint is None:
            self.notify("There is no open sprint to plan into.", severity="warning", markup=False)
            return
        self._move(self.backlog, self.sprint_list, self.sprint)

    def action_plan_remove(self) -> None:
        self._move(self.sprint_list, self.backlog, None)

    def action_rank(self, offset: int) -> None:
        """Swap the highlighted story with its neighbour in the focused list."""
        stories = self.focused_list()
        story = stories.story if stories else None
        if stories is None or story is None or stories.highlighted is None:
            return
        index = stories.highlighted
        other = index + offset
        if not 0 <= other < len(stories.stories):
            return
        neighbour = stories.stories[other]
        try:
            ranked = rank_beside(self.workspace, story.key, neighbour.key, before=offset < 0)
        except UserError as error:
            self._notify_error(error)
            return
        self._changed()
        order = list(stories.stories)
        order[index], order[other] = neighbour, ranked
        stories.show(order, select=ranked.key)
        if stories is self.sprint_list:
            self.recompute()  # the warnings follow the sprint's rank order

    def action_estimates(self) -> None:
        stories = self.focused_list()
        story = stories.story if stories else None
        if stories is not None and story is not None:
            self.app.push_screen(
                EstimatesScreen(story.key), lambda key: self._after_edit(stories, key)
            )

    def _after_edit(self, stories: StoryList, key: str | None) -> None:
        """A story was edited here or in its detail: redraw its line, or both lists if the
        edit moved it to another sprint."""
        if key is None:
            return
        self._changed()
        story = get_story(self.workspace, key)
        wanted = None if stories is self.backlog else self.sprint
        if story.sprint == wanted:
            stories.replace(story)
            self.recompute()
        else:
            self.reload()

    def action_days_off(self) -> None:
        chosen = next((s for s in self.sprints if s.name == self.sprint), None)
        stories = self.focused_list()
        story = stories.story if stories else None
        member = story.assignee if story else None
        self.app.push_screen(DaysOffScreen(chosen, member), self._after_days_off)

    def _after_days_off(self, summary: str | None) -> None:
        if summary is not None:
            self._changed()
            self.notify(summary, title="Days off", markup=False)
            self.recompute()

    def action_charts(self) -> None:
        from mlboard.tui.screens.charts import ChartsScreen  # plotext only when charts are shown

        self.app.push_screen(ChartsScreen(self.sprint))

    def action_choose_sprint(self) -> None:
        select = self.query_one("#plan-sprint", Select)
        select.focus()
        select.expanded = True

    @on(Select.Changed, "#plan-sprint")
    def sprint_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK or event.value == self.sprint:
            return
        self.sprint = str(event.value)
        self.reload()
        self.sprint_list.focus()

    def action_switch_list(self) -> None:
        target = self.sprint_list if self.focused is self.backlog else self.backlog
        target.focus()

    def action_focus_list(self, which: str) -> None:
        (self.backlog if which == "backlog" else self.sprint_list).focus()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @on(OptionList.OptionSelected)
    def open_story(self, event: OptionList.OptionSelected) -> None:
        from mlboard.tui.screens.story_detail import StoryDetailScreen

        if event.option.id is not None and isinstance(event.option_list, StoryList):
            stories = event.option_list
            self.app.push_screen(
                StoryDetailScreen(event.option.id), lambda key: self._after_edit(stories, key)
            )


ESTIMATE_FIELDS = ("points", "estimate_low", "estimate_high", "timebox_days", "gpu_hours", "target")
TEAM = "@team"  # not a valid handle, so it can stand for "the whole team" in the member list


class EstimatesScreen(ModalScreen[str | None]):
    """Points, low/high, timebox, GPU hours and target; dismissed with the key once saved."""

    CSS_PATH = "../planning.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="estimates_cancel"),
        Binding("ctrl+s", "save", "Save", id="estimates_save"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        story = self.story = get_story(self.app.workspace, self.key)  # type: ignore[attr-defined]
        with Vertical(id="estimates", classes="plan-dialog"):
            yield Static(
                Content.assemble((story.key, "bold $accent"), "  ", (story.title, "bold")),
                classes="dialog-heading",
            )
            with Grid(classes="dialog-grid"):
                for field, label, placeholder in TEXT_FIELDS:
                    if field in ESTIMATE_FIELDS:
                        yield Label(label)
                        yield Input(
                            current_text(story, field),
                            placeholder=placeholder,
                            id=f"estimate-{field}",
                        )
            yield Static("", id="estimates-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="estimates-save")
                yield Button("Cancel", id="estimates-cancel")

    def on_mount(self) -> None:
        self.query_one("#estimate-points", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#estimates-save")
    def action_save(self) -> None:
        values = {f: self.query_one(f"#estimate-{f}", Input).value for f in ESTIMATE_FIELDS}
        changes = {f: v for f, v in values.items() if v != current_text(self.story, f)}
        try:
            if changes:
                edit_story(self.app.workspace, self.key, changes)  # type: ignore[attr-defined]
        except UserError as error:
            self.query_one("#estimates-error", Static).update(Content(error.message))
            return
        self.dismiss(self.key if changes else None)

    @on(Button.Pressed, "#estimates-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _day(text: str, what: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{what}: {text.strip()!r} is not a date like 2026-11-30") from None


def days_off_summary(workspace: Workspace, sprint: OpenSprint | None) -> Content:
    """Who is off during the sprint, so a day off can be checked or taken back."""
    if sprint is None or sprint.start is None or sprint.end is None:
        return Content("")
    off = availability(workspace, sprint.start, sprint.end)
    rows = [(handle, days) for handle, days in sorted(off.members.items()) if days]
    if off.team:
        rows.insert(0, ("whole team", off.team))
    parts: list[str | tuple[str, str]] = [(f"Days off in {sprint.name}: ", "bold")]
    if not rows:
        parts.append(("none", "$text-muted"))
    for index, (who, days) in enumerate(rows):
        listed = ", ".join(f"{day:%a %b %d}" for day in sorted(days))
        parts += ["; " if index else "", (who, "$text-primary"), f" {listed}"]
    return Content.assemble(*parts)


class DaysOffScreen(ModalScreen[str | None]):
    """Add or remove days off for a member or the whole team; dismissed with a summary."""

    CSS_PATH = "../planning.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="days_off_cancel"),
        Binding("ctrl+s", "save", "Save", id="days_off_save"),
    ]

    def __init__(self, sprint: OpenSprint | None, member: str | None) -> None:
        super().__init__()
        self.sprint = sprint
        self.member = member

    def compose(self) -> ComposeResult:
        workspace: Workspace = self.app.workspace  # type: ignore[attr-defined]
        members = [(Text(f"{m.name} (@{m.handle})"), m.handle) for m in list_members(workspace)]
        members.append((Text("Whole team (holiday)"), TEAM))
        handles = [handle for _, handle in members]
        chosen = self.member if self.member in handles else handles[0]
        today = workspace.now().astimezone().date()
        with Vertical(id="days-off", classes="plan-dialog"):
            yield Static(Content.styled("Days off", "bold"), classes="dialog-heading")
            with Grid(classes="dialog-grid"):
                yield Label("Member")
                yield Select(members, value=chosen, allow_blank=False, id="days-off-member")
                yield Label("From")
                yield Input(today.isoformat(), placeholder="2026-12-24", id="days-off-from")
                yield Label("Until")
                yield Input(placeholder="same day", id="days-off-until")
                yield Label("Reason")
                yield Input(placeholder="optional", id="days-off-reason")
            yield Checkbox("Remove these days off", id="days-off-remove")
            yield Static(days_off_summary(workspace, self.sprint), id="days-off-current")
            yield Static("", id="days-off-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="days-off-save")
                yield Button("Cancel", id="days-off-cancel")

    def on_mount(self) -> None:
        self.query_one("#days-off-from", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#days-off-save")
    def action_save(self) -> None:
        handle = str(self.query_one("#days-off-member", Select).value)
        remove = self.query_one("#days-off-remove", Checkbox).value
        who = "the whole team" if handle == TEAM else handle
        try:
            first = _day(self.query_one("#days-off-from", Input).value, "from")
            if first is None:
                raise UserError("from: give the first day off, e.g. 2026-12-24")
            last = _day(self.query_one("#days-off-until", Input).value, "until")
            changed = set_days_off(
                self.app.workspace,  # type: ignore[attr-defined]
                None if handle == TEAM else handle,
                first,
                last,
                reason=self.query_one("#days-off-reason", Input).value,
                remove=remove,
            )
        except UserError as error:
            self.query_one("#days-off-error", Static).update(Content(error.message))
            return
        self.dismiss(f"{'removed' if remove else 'added'} {changed} day(s) off for {who}")

    @on(Button.Pressed, "#days-off-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
