"""A story in full: every field, the description, its runs against the target, and history.

Enter on one of its runs opens the run view; `C` compares its finished runs.

The evidence (runs, best against target, warnings, charts) is read in a worker: on a team with
tens of thousands of runs it takes longer than the story itself, which shows at once. The charts
(plotext) are mounted only for a story with a target and runs reporting it, so opening any other
story, and the board's start-up, never import plotext.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mlboard.analytics.training_signals import MetricPoint
from mlboard.services.experiments.metric_history import load_histories
from mlboard.services.experiments.runs import story_runs
from mlboard.services.governance.evidence import Evidence, story_evidence
from mlboard.services.governance.gates import GateReport, story_gates
from mlboard.services.stories.lookup import find_story
from mlboard.services.stories.records import EventView, StoryView, get_story, story_history
from mlboard.services.workspace import Workspace
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.navigation import OpenCompare, OpenRun
from mlboard.tui.screens.stories.story_form import StoryFormScreen
from mlboard.tui.text import one_line
from mlboard.tui.widgets.card import metric_value
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.wording import plural

MAX_RUNS_LISTED = 30
STATUS_STYLES = {"FINISHED": "$success", "FAILED": "$error", "KILLED": "$warning"}


def _value(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def story_fields(story: StoryView) -> list[tuple[str, object]]:
    estimate = None
    if story.estimate_low is not None or story.estimate_high is not None:
        estimate = f"{_value(story.estimate_low)} – {_value(story.estimate_high)} pts"
    return [
        ("Status", story.status),
        ("Kind", story.kind),
        ("Points", story.points),
        ("Estimate", estimate),
        ("Timebox", plural(story.timebox_days, "day") if story.timebox_days else None),
        ("GPU budget", f"{story.gpu_hours:g} h" if story.gpu_hours else None),
        ("Target", story.target),
        ("Assignee", story.assignee_name or story.assignee),
        ("Sprint", story.sprint),
        ("Sensitivity", story.sensitivity),
        ("Blocked", story.blocked_reason if story.blocked else None),
        ("Created", story.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
    ]


def event_line(event: EventView) -> Content:
    when = event.at.astimezone().strftime("%Y-%m-%d %H:%M")
    if event.field == "created":
        change: list[str | tuple[str, str]] = ["created the story"]
    else:
        change = [(event.field, "bold"), f": {event.old or '—'} → {event.new or '—'}"]
    return Content.assemble(
        (when, "$text-muted"), "  ", (one_line(event.actor), "$text-primary"), "  ", *change
    )


def verdict(evidence: Evidence) -> Content:
    """`best 0.87 (run 'lr-0.01') — target val_auc >= 0.86 met ✓`, or why there is none."""
    target = evidence.target
    if target is None:
        return Content.styled("No metric target: runs are listed, not judged.", "$text-muted")
    if evidence.best_value is None:
        return Content.assemble(
            (f"target {target}", "bold"),
            ("  ·  no finished run reports ", "$text-muted"),
            (target.metric, "$text-muted"),
            (" yet", "$text-muted"),
        )
    best = next((r for r in evidence.runs if r.run_id == evidence.best_run_id), None)
    label = one_line(best.label if best else evidence.best_run_id)
    met = (" met ✓", "bold $success") if evidence.target_met else (" not met", "bold $warning")
    return Content.assemble(
        ("best ", "bold"),
        (metric_value(evidence.best_value), "bold"),
        " (run '",
        label,
        f"') — target {target}",
        met,
    )


def warning_lines(evidence: Evidence) -> list[Content]:
    return [
        Content.assemble(("⚠ ", "bold $warning"), one_line(warning.message))
        for warning in [*evidence.warnings, *evidence.story_warnings]
    ]


def runs_heading(evidence: Evidence) -> Content:
    return Content.assemble(
        (f"Runs ({len(evidence.runs)})", "bold"),
        ("  ·  Tab to the list, Enter opens a run, C compares the finished ones", "$text-muted"),
    )


def run_options(evidence: Evidence) -> list[Option]:
    """Linked runs in start order, one option each (its id the run's); ★ marks the best, the
    target metric's value on each."""
    metric = evidence.target.metric if evidence.target else None
    options = []
    for run in evidence.runs[:MAX_RUNS_LISTED]:
        best = run.run_id == evidence.best_run_id
        value = run.metrics.get(metric) if metric else None
        started = run.start.astimezone().strftime("%b %d %H:%M") if run.start else ""
        line = Content.assemble(
            ("★ " if best else "  ", "bold $success"),
            (f"{one_line(run.label, 28):<28}", "bold" if best else ""),
            "  ",
            (f"{run.status:<9}", STATUS_STYLES.get(run.status, "$text-muted")),
            (f"{metric} {metric_value(value)}" if value is not None else "", ""),
            ("  " if value is not None else "", ""),
            (f"{started}  {one_line(run.experiment_name)}", "$text-muted"),
        )
        options.append(Option(line, id=run.run_id))
    hidden = len(evidence.runs) - MAX_RUNS_LISTED
    if hidden > 0:
        more = Content.styled(f"  … and {hidden} more (Experiments screen)", "$text-muted")
        options.append(Option(more, disabled=True))
    return options


def best_run_steps(ws: Workspace, key: str, evidence: Evidence) -> list[MetricPoint]:
    """The cached history of the target metric for the best run (empty when not fetched)."""
    if evidence.best_run_id is None or evidence.target is None:
        return []
    with ws.reading() as session:
        story = find_story(session, key)
        runs = story_runs(session, [story.id or 0]).get(story.id or 0, [])
        pks = [run.id for run in runs if run.run_id == evidence.best_run_id and run.id]
        if not pks:
            return []
        return load_histories(session, pks).get((pks[0], evidence.target.metric), [])


@dataclass
class EvidenceRead(Message):
    """A story's evidence and its best run's history, read in a worker."""

    evidence: Evidence
    steps: list[MetricPoint]


def gate_lines(report: GateReport) -> Content:
    """The Definition of Done of this story: each gate, met (by whom) or what it still needs."""
    if not report.gates:
        return Content.styled("Definition of Done: no gates for this story", "$text-muted")
    lines = [
        Content.assemble(
            ("Definition of Done", "bold"),
            (f"  ({report.sensitivity} data)" if report.sensitivity != "none" else "", "$warning"),
            ("  c: checklist", "$text-muted"),
        )
    ]
    for gate in report.gates:
        if gate.done:
            who = f" — @{one_line(gate.by)}" if gate.by else ""
            note = f": {one_line(gate.note)}" if gate.note else ""
            lines.append(
                Content.assemble(("✓ ", "$success"), gate.item, (who + note, "$text-muted"))
            )
        else:
            lines.append(
                Content.assemble(
                    ("☐ ", "$warning"),
                    gate.missing,
                    (f"  ({gate.required_because})", "$text-muted"),
                )
            )
    return Content("\n").join(lines)


class StoryDetailScreen(ModalScreen[str | None]):
    """Dismissed with the story's key when it was edited here, so the board can refresh."""

    CSS_PATH = "story.tcss"
    BINDINGS = [
        bind("close_story", "close", "Close"),
        bind("edit_story", "edit", "Edit"),
        bind("edit_checklist", "checklist", "Checklist"),
        bind(
            "compare_story", "compare", "Compare runs", tooltip="Compare the story's finished runs"
        ),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.edited = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="story-detail"):
            yield Static(id="story-title")
            yield Static(id="story-fields")
            yield Static(id="story-description")
            yield Static(id="story-verdict")
            yield Static(id="story-gates")
            yield Horizontal(id="story-charts")
            yield Static(id="story-runs-title")
            yield OptionList(id="story-runs")
            yield Static(id="story-history")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_story()

    def show_story(self) -> None:
        workspace = host(self).workspace
        story = get_story(workspace, self.key)
        history = story_history(workspace, self.key)
        self.query_one("#story-title", Static).update(
            Content.assemble((story.key, "bold $accent"), "  ", (story.title, "bold"))
        )
        rows = [
            Content.assemble((f"{label:<12}", "$text-muted"), _value(value))
            for label, value in story_fields(story)
        ]
        self.query_one("#story-fields", Static).update(Content("\n").join(rows))
        self.query_one("#story-description", Static).update(
            Content.assemble(story.description or "")
        )
        lines = [Content.assemble((f"History ({len(history)})", "bold"))]
        lines += [event_line(event) for event in reversed(history)]
        self.query_one("#story-history", Static).update(Content("\n").join(lines))
        self.query_one("#story-gates", Static).update(gate_lines(story_gates(workspace, self.key)))
        self._read_evidence(workspace)

    @work(thread=True, exclusive=True, group="story_evidence", exit_on_error=False)
    def _read_evidence(self, workspace: Workspace) -> None:
        """Thread worker: reads only; `evidence_read` shows the result."""
        evidence = story_evidence(workspace, self.key)
        self.post_message(EvidenceRead(evidence, best_run_steps(workspace, self.key, evidence)))

    @on(EvidenceRead)
    def evidence_read(self, message: EvidenceRead) -> None:
        self.show_evidence(message.evidence, message.steps)

    def refresh_data(self) -> None:
        """A sync finished while the story was open: show its new runs."""
        self.show_story()

    def show_evidence(self, evidence: Evidence, steps: list[MetricPoint]) -> None:
        summary = self.query_one("#story-verdict", Static)
        summary.display = bool(evidence.runs or evidence.target)
        summary.update(Content("\n").join([verdict(evidence), *warning_lines(evidence)]))
        title = self.query_one("#story-runs-title", Static)
        runs = self.query_one("#story-runs", OptionList)
        title.display = runs.display = bool(evidence.runs)
        title.update(runs_heading(evidence))
        runs.set_options(run_options(evidence))
        self.show_charts(evidence, steps)

    def show_charts(self, evidence: Evidence, steps: list[MetricPoint]) -> None:
        """Mount the charts the first time there is something to draw; hide them otherwise."""
        charts = self.query_one("#story-charts", Horizontal)
        target = evidence.target
        if target is None or not evidence.trend:
            charts.display = False
            return
        from mlboard.tui.widgets.metric_chart import MetricChart

        if not charts.children:
            charts.mount(MetricChart(id="runs-chart"), MetricChart(id="steps-chart"))
        charts.display = True
        self.query_one("#runs-chart", MetricChart).show_runs(evidence.trend, target)
        step_chart = self.query_one("#steps-chart", MetricChart)
        step_chart.display = len(steps) > 1
        if len(steps) > 1:
            step_chart.show_steps(steps, target)

    def action_close(self) -> None:
        self.dismiss(self.key if self.edited else None)

    @on(OptionList.OptionSelected, "#story-runs")
    def open_run(self, event: OptionList.OptionSelected) -> None:
        if event.option_id is not None:
            self.post_message(OpenRun(event.option_id))

    def action_compare(self) -> None:
        self.post_message(OpenCompare(story=self.key))

    def action_edit(self) -> None:
        self.app.push_screen(StoryFormScreen(self.key), self._after_edit)

    def action_checklist(self) -> None:
        from mlboard.tui.screens.governance.screen import ChecklistModal

        self.app.push_screen(ChecklistModal(self.key), self._after_checklist)

    def _after_checklist(self, written: bool | None) -> None:
        if written:
            self.edited = True
            self.show_story()

    def _after_edit(self, key: str | None) -> None:
        if key is not None:
            self.edited = True
            self.show_story()
