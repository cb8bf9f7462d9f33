"""What the Governance screen and the checklist dialog show: cells, gate lines, item options.

Pure functions of the services' views. Titles, notes, links and handles are user text: every
cell is a Rich `Text` and every line a `Content` built from plain strings, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.content import Content

from mlboard.config import ACCEPTED_BELOW_TARGET, DoneRules
from mlboard.services.experiments.runs import ModelVersionView
from mlboard.services.governance.gates import APPROVAL, Gate, GateReport
from mlboard.services.governance.queue import WaitingStory
from mlboard.tui.text import cell, one_line

LEVEL_COLORS = {"personal": "warning", "special_category": "error", "internal": "text-primary"}
COMPUTED = {"linked_run": "link a run to the story", "target_met": "a run reaching the target"}

STORY_COLUMNS = (
    ("key", "Key", 7),
    ("status", "Status", 11),
    ("kind", "Kind", 10),
    ("title", "Title", 34),
    ("sensitivity", "Sensitivity", 20),
    ("missing", "Missing", 32),
    ("signers", "Who can sign", 26),
)
MODEL_COLUMNS = (
    ("model", "Model", 22),
    ("latest", "Latest", 6),
    ("aliases", "Aliases", 24),
    ("versions", "Versions", 8),
    ("stories", "Stories", 10),
)


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%b %d %H:%M") if moment else ""


def handles(names: Sequence[str], limit: int | None = None) -> str:
    shown = [f"@{name}" for name in names[:limit] if name]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" +{more}" if more > 0 else "")


def sensitivity_text(report: GateReport) -> str:
    sources = ", ".join(report.sensitivity_sources)
    return report.sensitivity + (f" ({sources})" if sources else "")


def signers_text(story: WaitingStory, limit: int = 3) -> str:
    """Who may sign what is missing: the approvers when an approval is, else anyone."""
    missing = story.missing_items
    if APPROVAL in missing:
        return handles(story.approvers, limit) if story.approvers else "nobody else on the team"
    if any(item not in COMPUTED for item in missing):
        return "any member"
    return "runs decide"


def story_cells(story: WaitingStory, colors: Mapping[str, str]) -> list[Text]:
    report = story.report
    level = colors.get(LEVEL_COLORS.get(report.sensitivity, "text-muted"), "")
    return [
        cell(story.key, "bold"),
        cell(story.status),
        cell(story.kind, colors.get("text-muted", "")),
        cell(story.title),
        cell(sensitivity_text(report), level),
        cell(", ".join(story.missing_items)),
        cell(signers_text(story)),
    ]


def who_signs(gate: Gate, approvers: Sequence[str], assignee: str | None) -> str:
    if gate.item == APPROVAL:
        but = f" but @{assignee}" if assignee else ""
        return f"any member{but}: {handles(approvers)}" if approvers else "nobody else yet"
    if gate.item == "target_met":
        return f"{COMPUTED['target_met']}, or anyone checking {ACCEPTED_BELOW_TARGET} with a reason"
    return COMPUTED.get(gate.item, "any member")


def gate_line(gate: Gate, approvers: Sequence[str], assignee: str | None) -> Content:
    """`✓ model_card  @ana Nov 25 09:30 · note · link` or `✗ approval …  can sign: …`."""
    if gate.done:
        parts: list[str | tuple[str, str]] = [("✓ ", "bold $success"), (gate.item, "bold")]
        if gate.by:
            parts += ["  ", (f"@{one_line(gate.by)}", "$text-primary")]
        parts += [(f" {when(gate.at)}" if gate.at else "", "$text-muted")]
        parts += [(" · ", "$text-muted"), one_line(gate.note)] if gate.note else []
        parts += [(" · ", "$text-muted"), one_line(gate.link)] if gate.link else []
        return Content.assemble(*parts)
    lines = [
        Content.assemble(
            ("✗ ", "bold $error"),
            (one_line(gate.missing), "bold"),
            ("  can sign: ", "$text-muted"),
            who_signs(gate, approvers, assignee),
        )
    ]
    if gate.note:  # an approval by the assignee: checked, and why it does not count
        lines.append(Content.assemble("    ", (one_line(gate.note), "$warning")))
    lines.append(Content.styled(f"    {one_line(gate.required_because)}", "$text-muted"))
    return Content("\n").join(lines)


def gate_detail(story: WaitingStory) -> Content:
    report = story.report
    head = Content.assemble((story.key, "bold $accent"), "  ", (one_line(story.title), "bold"))
    about = Content.assemble(
        (f"@{report.assignee}" if report.assignee else "unassigned", "$text-primary"),
        (f"  ·  {story.kind}  ·  {story.status}  ·  sensitivity ", "$text-muted"),
        (sensitivity_text(report), "bold"),
    )
    gates = [gate_line(gate, story.approvers, report.assignee) for gate in report.gates]
    hint = Content.styled("Enter or g: check items on this story's checklist", "$text-muted")
    return Content("\n").join([head, about, Content(""), *gates, Content(""), hint])


@dataclass(frozen=True)
class ModelRow:
    name: str
    latest: int
    aliases: str
    versions: int
    stories: str


def model_rows(versions: Sequence[ModelVersionView]) -> list[ModelRow]:
    """One row per registered model (versions come newest first per model)."""
    rows: dict[str, list[ModelVersionView]] = {}
    for version in versions:
        rows.setdefault(version.name, []).append(version)
    result = []
    for name, found in rows.items():
        aliases = [f"{a} v{v.version}" for v in found for a in v.aliases]
        stories = dict.fromkeys(key for v in found for key in v.stories)
        result.append(
            ModelRow(name, found[0].version, ", ".join(aliases), len(found), ", ".join(stories))
        )
    return result


def model_cells(row: ModelRow, colors: Mapping[str, str]) -> list[Text]:
    muted = colors.get("text-muted", "")
    return [
        cell(row.name, "bold"),
        cell(f"v{row.latest}", justify="right"),
        cell(row.aliases or "—", colors.get("accent", "") if row.aliases else muted),
        cell(str(row.versions), justify="right"),
        cell(row.stories or "—", colors.get("text-primary", "") if row.stories else muted),
    ]


# ---------------------------------------------------------------- the checklist dialog


@dataclass(frozen=True)
class ItemChoice:
    """A line of the checklist dialog: `item` is what checking it writes (None: not by hand)."""

    item: str | None
    prompt: Content


def item_choices(
    report: GateReport, rules: DoneRules, approvers: Sequence[str], has_target: bool
) -> list[ItemChoice]:
    """The story's gates first (as the move to done needs them), then the items it may also
    carry: those checked without being required, and the others a person may check."""
    choices, seen = [], set()
    for gate in report.gates:
        if gate.item == "linked_run":
            item = None
        elif gate.item == "target_met":
            accepted = any(c.item == ACCEPTED_BELOW_TARGET for c in report.checklist)
            item = None if gate.done and not accepted else ACCEPTED_BELOW_TARGET
        else:
            item = gate.item
        seen.add(item)
        choices.append(ItemChoice(item, gate_line(gate, approvers, report.assignee)))
    checked = {c.item: c for c in report.checklist}
    extra = [i for i in rules.items() if i not in seen]
    for item in extra:
        if item == ACCEPTED_BELOW_TARGET and not has_target:
            continue
        check = checked.get(item)
        if check is None:
            prompt = Content.assemble(
                ("○ ", "$text-muted"), item, ("  not required", "$text-muted")
            )
        else:
            prompt = Content.assemble(
                ("✓ ", "$success"), (item, "bold"), "  ",
                (f"@{one_line(check.by)}", "$text-primary"),
                (f" {when(check.at)}", "$text-muted"), ("  not required", "$text-muted"),
            )  # fmt: skip
        choices.append(ItemChoice(item, prompt))
    return choices
