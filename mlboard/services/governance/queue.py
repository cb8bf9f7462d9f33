"""Stories waiting on their Definition-of-Done gates, and who may sign what is missing.

Read-only: the Governance screen's list. The gates themselves and the rule that the assignee
cannot approve their own story live in `gates.py`; this module only gathers the
unfinished stories whose gates are unmet, in the order a reviewer works through them (closest
to done first), and names the members who may give the approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlboard.domain import StoryStatus
from mlboard.services.governance.gates import GateReport, gate_reports, same_person
from mlboard.services.stories.records import list_stories
from mlboard.services.team.members import list_members
from mlboard.services.workspace import Workspace

# closest to done first: a story in review waiting on a sign-off is the one to unblock today
STATUS_ORDER = ("review", "in_progress", "todo", "backlog")


@dataclass(frozen=True)
class WaitingStory:
    """An unfinished story with unmet gates. `approvers` are the active members other than the
    assignee: anyone of them may check `approval`; every other checked item may come from any
    member."""

    key: str
    title: str
    kind: str
    status: str
    report: GateReport
    approvers: tuple[str, ...]

    @property
    def missing_items(self) -> list[str]:
        """The items not met, by name (`approval`, `target_met`), as a short list shows them."""
        return [gate.item for gate in self.report.gates if not gate.done]


def waiting_on_gates(ws: Workspace) -> list[WaitingStory]:
    """Every story not done whose gates are not all met, closest to done first, then by rank."""
    stories = [story for story in list_stories(ws) if story.status != StoryStatus.DONE]
    reports = gate_reports(ws, [story.key for story in stories])
    members = [member.handle for member in list_members(ws) if member.active]
    order = {status: index for index, status in enumerate(STATUS_ORDER)}
    waiting = []
    for story in sorted(stories, key=lambda s: order.get(s.status, len(order))):
        report = reports.get(story.key)
        if report is None or report.may_move_to_done:
            continue
        approvers = tuple(m for m in members if not same_person(m, report.assignee))
        waiting.append(
            WaitingStory(story.key, story.title, story.kind, story.status, report, approvers)
        )
    return waiting
