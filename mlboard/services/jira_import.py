"""Import a Jira "Export CSV" file as stories, sprints and members, in one transaction.

Jira keys are kept (TES-25 stays TES-25), so importing a newer export of the same project
updates the stories instead of duplicating them. Statuses map through Jira's Status Category,
the one status vocabulary every Jira site shares. Assignees become members with the handles
`mlboard.services.handles` gives: the same person keeps the same handle import after import, and
two people never share one (when the export has Jira's `Assignee Id`, two accounts with the same
display name are refused rather than merged).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import Session, select

from mlboard.domain import SprintState, StoryKind, StoryStatus
from mlboard.errors import UserError, quoted
from mlboard.integrations.jira_csv import JiraFileError, JiraIssue, read_jira_csv
from mlboard.services.handles import AmbiguousName, assign_handles, same_name
from mlboard.services.stories import add_story, apply_changes
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Member, Sprint, Story

_TYPE_KINDS = {"bug": StoryKind.BUG, "spike": StoryKind.RESEARCH, "research": StoryKind.RESEARCH}


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    sprints_added: int
    members_added: int

    def as_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "sprints_added": self.sprints_added,
            "members_added": self.members_added,
        }


def story_status(issue: JiraIssue) -> StoryStatus:
    """Jira's Status Category decides; the status name only tells review from in progress."""
    category = issue.status_category.casefold() or _category_from_name(issue.status)
    name = issue.status.casefold()
    if category == "done":
        return StoryStatus.DONE
    if category == "in progress":
        return StoryStatus.REVIEW if "review" in name else StoryStatus.IN_PROGRESS
    return StoryStatus.TODO if issue.sprints else StoryStatus.BACKLOG


def _category_from_name(status: str) -> str:
    name = status.casefold()
    if any(word in name for word in ("done", "closed", "resolved")):
        return "done"
    if any(word in name for word in ("progress", "review", "testing")):
        return "in progress"
    return "to do"


def story_kind(issue: JiraIssue, default: StoryKind) -> StoryKind:
    """A label naming a kind wins; then the issue type; then a `SPIKE:` title; then `default`."""
    for label in issue.labels:
        if label.casefold() in StoryKind.__members__.values():
            return StoryKind(label.casefold())
    kind = _TYPE_KINDS.get(issue.issue_type.casefold())
    if kind is None and issue.summary.casefold().startswith("spike"):
        kind = StoryKind.RESEARCH
    return kind or default


def import_jira(
    ws: Workspace,
    path: str | os.PathLike[str],
    *,
    zone: tzinfo | None = None,
    default_kind: StoryKind = StoryKind.EXPERIMENT,
) -> ImportResult:
    """Import every issue of the file, or nothing: a bad file names its bad rows."""
    try:
        issues = read_jira_csv(path)
    except JiraFileError as error:
        raise UserError(str(error)) from None
    except OSError as error:
        raise UserError(f"{os.fspath(path)}: cannot be read: {error.strerror}") from None
    _check_one_account_per_name(os.fspath(path), issues)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with ws.writing() as session:
        sprints_added = _add_sprints(session, ws, issues)
        handles, members_added = _add_members(session, ws, issues, os.fspath(path))
        for issue in issues:
            assignee = handles[same_name(issue.assignee)] if issue.assignee.strip() else ""
            counts[_import_issue(session, ws, issue, assignee, zone, default_kind)] += 1
    return ImportResult(**counts, sprints_added=sprints_added, members_added=members_added)


def _aware(moment: datetime | None, zone: tzinfo | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=zone) if zone else moment.astimezone()


def _import_issue(
    session: Session,
    ws: Workspace,
    issue: JiraIssue,
    assignee: str,
    zone: tzinfo | None,
    default_kind: StoryKind,
) -> str:
    fields = {
        "kind": story_kind(issue, default_kind).value,
        "points": "" if issue.points is None else f"{issue.points:g}",
        "sprint": issue.sprints[-1] if issue.sprints else "",
        "assignee": assignee,
        "description": issue.description,
    }
    status = story_status(issue).value
    existing = session.exec(select(Story).where(Story.key == issue.key)).first()
    if existing is not None:
        changed = apply_changes(
            session, ws, existing, {"title": issue.summary, **fields, "status": status}
        )
        return "updated" if changed else "unchanged"
    created = _aware(issue.created, zone) or ws.now()
    story = add_story(session, ws, issue.summary, fields, key=issue.key, created_at=created)
    if status != story.status:
        moved_at = (_aware(issue.resolved, zone) if status == StoryStatus.DONE else None) or _aware(
            issue.status_category_changed, zone
        )
        session.flush()
        apply_changes(session, ws, story, {"status": status}, at=max(moved_at or created, created))
    return "created"


def _add_sprints(session: Session, ws: Workspace, issues: list[JiraIssue]) -> int:
    """Sprints the file names; one that a story has left behind is already closed."""
    names = list(dict.fromkeys(name for issue in issues for name in issue.sprints))
    left_behind = {name for issue in issues for name in issue.sprints[:-1]}
    existing = set(session.exec(select(Sprint.name).where(Sprint.name.in_(names))).all())  # type: ignore[attr-defined]
    added = 0
    for name in names:
        if name in existing:
            continue
        state = SprintState.CLOSED if name in left_behind else SprintState.FUTURE
        session.add(Sprint(name=name, state=state.value, created_at=ws.now()))
        added += 1
    session.flush()
    return added


def _check_one_account_per_name(source: str, issues: list[JiraIssue]) -> None:
    """Two Jira accounts with one display name would become one member: refuse instead."""
    accounts: dict[str, dict[str, int]] = {}
    for issue in issues:
        if issue.assignee.strip() and issue.assignee_id:
            accounts.setdefault(same_name(issue.assignee), {}).setdefault(
                issue.assignee_id, issue.row
            )
    for name, rows in accounts.items():
        if len(rows) > 1:
            first, second = sorted(rows.values())[:2]
            raise UserError(
                f"{source}: rows {first} and {second} are assigned to two different Jira accounts "
                f"both named {quoted(name, 40)}; give one of them another display name in Jira "
                "and export again"
            )


def _add_members(
    session: Session, ws: Workspace, issues: list[JiraIssue], source: str
) -> tuple[dict[str, str], int]:
    """Every assignee's handle (by `same_name`), adding the members the team does not have."""
    team = {member.handle: member for member in session.exec(select(Member))}
    names = [issue.assignee for issue in issues]
    try:
        handles, adopted = assign_handles(names, [(m.handle, m.name) for m in team.values()])
    except AmbiguousName as error:
        raise UserError(
            f"{source}: assignee {quoted(error.name, 40)} is the name of several members "
            f"({', '.join(error.handles)}), so which one Jira means is unknown; nothing was "
            "imported"
        ) from None
    for handle, name in adopted.items():
        team[handle].name = name
    added = [(name, handle) for name, handle in handles.items() if handle not in team]
    for name, handle in added:
        session.add(Member(handle=handle, name=name, created_at=ws.now()))
    session.flush()
    return handles, len(added)
