"""Planning: the ranked backlog beside a sprint, with capacity, load, forecast and warnings.

Stories move between the two lists with `]` and `[`, re-rank with `K`/`J` and get estimates with
`e`; `D` records days off, `c` opens the charts, `S` picks another open sprint. Both lists are
OptionLists (only the lines in view are drawn), kept in memory and updated in place after each
move: the backlog can hold thousands of stories. The scope on the capacity bar changes at
once (it is the sum of the sprint list's points); everything else comes from `make_plan`, which
runs in a thread worker and answers with a message. The bar shows the sprint's *scope* (its points
now) and, once it has started, its *commitment* (its points at the start).

Its lists are `StoryList`s (story_list.py), the lines it draws are in rows.py, its dialogs
in dialogs.py.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Header, OptionList, Select, Static

from mlboard.errors import UserError
from mlboard.services.planning.plan import (
    OpenSprint,
    Plan,
    make_plan,
    open_sprints,
    plan_story,
    rank_beside,
)
from mlboard.services.stories.records import get_story, list_stories
from mlboard.services.workspace import Workspace
from mlboard.tui.keys import bind
from mlboard.tui.screens.planning.dialogs import DaysOffScreen, EstimatesScreen
from mlboard.tui.screens.planning.rows import (
    compute_lines,
    flow_line,
    forecast_line,
    load_lines,
    sprint_info,
    warning_lines,
)
from mlboard.tui.screens.planning.story_list import StoryList, rank_order
from mlboard.tui.screens.screen_base import Loaded, LoadFailed, ScreenBase
from mlboard.tui.widgets.capacity_bar import CapacityBar, CapacityFigures
from mlboard.tui.widgets.key_footer import KeyFooter

MOVE = Binding.Group("Move")  # the footer shows `] [ Move`, the palette each key's description
RANK = Binding.Group("Rank")


class PlanningScreen(ScreenBase):
    """Backlog left, sprint right; `tab` or the arrows switch lists."""

    CSS_PATH = "planning.tcss"
    SUB_TITLE = "Planning"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # a short terminal keeps the lists
    AUTO_FOCUS = "#plan-backlog"
    BINDINGS = [
        bind(
            "plan_add", "plan_add", "→ Sprint", tooltip="Move the story into the sprint", group=MOVE
        ),
        bind(
            "plan_remove",
            "plan_remove",
            "← Backlog",
            tooltip="Move the story back to the backlog",
            group=MOVE,
        ),
        bind("rank_up", "rank(-1)", "Rank ↑", tooltip="Rank the story up", group=RANK),
        bind("rank_down", "rank(1)", "Rank ↓", tooltip="Rank the story down", group=RANK),
        bind("plan_estimates", "estimates", "Estimates"),
        bind("plan_days_off", "days_off", "Days off"),  # d: the Data screen
        bind("plan_charts", "charts", "Charts"),
        bind("plan_choose_sprint", "choose_sprint", "Sprint…", show=False),
        bind("plan_refresh", "reload", "Refresh", show=False),
        bind("plan_switch_list", "switch_list", "Other list", show=False),
        bind("plan_backlog", "focus_list('backlog')", "Backlog", show=False),
        bind("plan_sprint", "focus_list('sprint')", "Sprint", show=False),
        bind("plan_back", "back", "Back", show=False),
    ]

    def __init__(self, sprint: str | None = None) -> None:
        super().__init__()
        self.sprint = sprint
        self.sprints: list[OpenSprint] = []
        self.plan: Plan | None = None
        self._request = 0
        self._keys_state: tuple[object, ...] = ()
        # kept, not queried: `check_action` runs while the screen is being taken down, too
        self.backlog = StoryList(id="plan-backlog")
        self.sprint_list = StoryList(id="plan-sprint-stories")
        self.capacity_bar = CapacityBar(id="plan-capacity")

    def compose(self) -> ComposeResult:
        self.sprints = open_sprints(self.workspace)
        names = [s.name for s in self.sprints]
        if self.sprint not in names:
            self.sprint = names[0] if names else None
        yield Header()
        with Horizontal(id="plan-head"):
            yield self._sprint_select()
            yield Static(id="plan-sprint-info")
        with Horizontal(id="plan-capacity-row"):
            yield self.capacity_bar
            yield Static(compute_lines(None), id="plan-compute")
        yield Static(id="plan-forecast")
        yield Static(id="plan-flow")
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
        yield KeyFooter()

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
        self.mark_read()
        self.backlog.show(list_stories(ws, backlog=True))
        self.sprint_list.show(list_stories(ws, sprint=self.sprint) if self.sprint else [])
        chosen = next((s for s in self.sprints if s.name == self.sprint), None)
        today = ws.today()
        self.query_one("#plan-sprint-info", Static).update(sprint_info(chosen, today))
        if first:
            self.call_after_refresh(self.recompute)
        else:
            self.recompute()

    def refresh_data(self) -> None:
        """Something changed behind the screen's back (a sync, another screen): read it again.
        This screen's own dialogs update the lists through their callbacks instead."""
        self.reload(sprints=True)

    def recompute(self) -> None:
        """Show the new scope now; ask a worker for everything else."""
        self.backlog.title("Backlog")
        self.sprint_list.title(Content.styled(self.sprint or "No open sprint", "bold"))
        scope = sum(story.points or 0 for story in self.sprint_list.stories)
        known = self.plan if self.plan and self.plan.sprint == self.sprint else None
        self.capacity_bar.figures = CapacityFigures(
            scope,
            known.capacity_points if known else None,
            known.average_velocity if known else None,
            known.committed_points if known else None,
        )
        self._request += 1
        self.query_one("#plan-capacity-row").display = self.sprint is not None
        if self.sprint is None:
            self.plan = None
            for panel in (
                "#plan-forecast",
                "#plan-flow",
                "#plan-loads",
                "#plan-warnings",
                "#plan-compute",
            ):
                self.query_one(panel, Static).update("")
            return
        self._compute_plan(self.workspace, self.sprint, self._request)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _compute_plan(self, workspace: Workspace, sprint: str, request: int) -> None:
        """Thread worker: reads only, touches no widget, answers with a message."""
        try:
            plan = make_plan(workspace, sprint)
        except UserError as error:
            self.post_message(LoadFailed(error.message, request))
            return
        self.post_message(Loaded(plan, request))

    @on(Loaded)
    def plan_computed(self, message: Loaded[Plan]) -> None:
        if message.request != self._request or not self.capacity_bar.is_attached:
            return  # a later move asked again (its answer is on the way), or the screen closed
        plan = self.plan = message.data
        self.capacity_bar.figures = CapacityFigures(
            plan.scope_points, plan.capacity_points, plan.average_velocity, plan.committed_points
        )
        self.query_one("#plan-compute", Static).update(compute_lines(plan.compute))
        self.query_one("#plan-forecast", Static).update(forecast_line(plan))
        self.query_one("#plan-flow", Static).update(flow_line(plan))
        self.query_one("#plan-loads", Static).update(load_lines(plan.loads))
        self.query_one("#plan-warnings", Static).update(warning_lines(plan.warnings))
        self.query_one("#plan-warnings-box").border_title = f"Warnings ({len(plan.warnings)})"

    @on(LoadFailed)
    def plan_failed(self, message: LoadFailed) -> None:
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
        self.changed_here()
        source.show([s for s in source.stories if s.key != moved.key])
        target.show(sorted([*target.stories, moved], key=rank_order), select=moved.key)
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
        self.changed_here()
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
        self.changed_here()
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
            self.changed_here()
            self.notify(summary, title="Days off", markup=False)
            self.recompute()

    def action_charts(self) -> None:
        from mlboard.tui.screens.planning.charts import (
            ChartsScreen,  # plotext only when charts are shown
        )

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
        from mlboard.tui.screens.stories.story_detail import StoryDetailScreen

        if event.option.id is not None and isinstance(event.option_list, StoryList):
            stories = event.option_list
            self.app.push_screen(
                StoryDetailScreen(event.option.id), lambda key: self._after_edit(stories, key)
            )
