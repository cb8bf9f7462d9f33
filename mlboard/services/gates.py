"""The Definition of Done as data: gates a story must pass before it may move to done.

The rules come from `[tool.mlboard.done]` (`mlboard.config.DoneRules`), so a team can read and
change them; the facts come from the board: the story's checklist (who checked what, when, with
which note or link), its linked runs, its target and the *effective* sensitivity of the data it
touches. A move to done is checked inside the move's own transaction (`stories.apply_changes`),
so a refused move changes nothing, and the refusal names every missing item at once — fixing
one item at a time and being refused again is what makes people route around a process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from mlboard.config import ACCEPTED_BELOW_TARGET, COMPUTED_ITEMS, DoneRules
from mlboard.domain import StoryKind, format_number, iso, parse_target
from mlboard.errors import UserError
from mlboard.services.experiments import story_runs
from mlboard.services.sensitivity import effective_sensitivity
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ChecklistItem, Member, Run, Story, StoryEvent, StoryRun
from mlboard.wording import plural

APPROVAL = "approval"
REFUSED = 3  # the CLI's exit code for "refused by a rule"


@dataclass(frozen=True, slots=True)
class ChecklistView:
    """One checked item: who checked it, when, and the evidence they pointed at."""

    item: str
    by: str
    at: datetime
    note: str
    link: str

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note or None,
            "link": self.link or None,
        }


@dataclass(frozen=True, slots=True)
class Gate:
    """One requirement of the move to done, why it applies, and whether it is met.

    `missing` is how a refusal names the gate (`approval by someone other than @ana`).
    """

    item: str
    required_because: str
    done: bool
    missing: str
    by: str | None = None
    at: datetime | None = None
    note: str | None = None
    link: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "required_because": self.required_because,
            "done": self.done,
            "by": self.by,
            "at": iso(self.at),
            "note": self.note or None,
            "link": self.link or None,
        }


@dataclass(frozen=True)
class GateReport:
    """A story's gates, its checklist and its effective sensitivity (`story gates`)."""

    key: str
    status: str
    assignee: str | None
    sensitivity: str
    sensitivity_sources: list[str]
    gates: list[Gate]
    checklist: list[ChecklistView] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [gate.missing for gate in self.gates if not gate.done]

    @property
    def may_move_to_done(self) -> bool:
        return not self.missing

    def refusal(self) -> str:
        return f"cannot move {self.key} to done: missing {', '.join(self.missing)}"

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `story gates KEY --format json`."""
        return {
            "key": self.key,
            "status": self.status,
            "assignee": self.assignee,
            "sensitivity_effective": self.sensitivity,
            "sensitivity_sources": self.sensitivity_sources,
            "may_move_to_done": self.may_move_to_done,
            "missing": self.missing,
            "gates": [gate.as_json() for gate in self.gates],
            "checklist": [item.as_json() for item in self.checklist],
        }


def as_handle(actor: str) -> str:
    """The member handle an actor name stands for (`@Ana` is `ana`)."""
    return actor.strip().lstrip("@").casefold()


def same_person(actor: str, handle: str | None) -> bool:
    return handle is not None and as_handle(actor) == handle.casefold()


def evaluate(session: Session, rules: DoneRules, stories: Sequence[Story]) -> dict[str, GateReport]:
    """Gate reports for several stories at once (the board asks for a whole sprint)."""
    ids = [story.id for story in stories if story.id is not None]
    if not ids:
        return {}
    levels = effective_sensitivity(session, ids)
    checks: dict[int, dict[str, ChecklistItem]] = {}
    for row in session.exec(
        select(ChecklistItem)
        .where(col(ChecklistItem.story_id).in_(ids))
        .order_by(col(ChecklistItem.at), col(ChecklistItem.id))
    ):
        checks.setdefault(row.story_id, {})[row.item] = row
    everyone = session.exec(select(Member.id, Member.handle, Member.active)).all()
    handles = {member_id: handle for member_id, handle, _ in everyone}
    members = frozenset(handle.casefold() for _, handle, active in everyone if active)
    runs = story_runs(session, ids)
    links = _first_links(session, ids)
    reports = {}
    for story in stories:
        sid = story.id or 0
        level, sources = levels.get(sid, ("none", []))
        context = _Context(
            story, handles.get(story.assignee_id), level, sources, checks.get(sid, {}),
            runs.get(sid, []), links.get(sid), members,
        )  # fmt: skip
        reports[story.key] = GateReport(
            key=story.key,
            status=story.status,
            assignee=context.assignee,
            sensitivity=level,
            sensitivity_sources=sources,
            gates=_gates(rules, context),
            checklist=[
                ChecklistView(c.item, c.actor, c.at, c.note, c.link)
                for c in checks.get(sid, {}).values()
            ],
        )
    return reports


@dataclass(frozen=True)
class _Context:
    story: Story
    assignee: str | None
    level: str
    sources: list[str]
    checks: dict[str, ChecklistItem]
    runs: list[Run]
    first_link: StoryRun | None
    members: frozenset[str]  # handles of the board's active members, casefolded


def _first_links(session: Session, ids: list[int]) -> dict[int, StoryRun]:
    found: dict[int, StoryRun] = {}
    for link in session.exec(
        select(StoryRun)
        .join(Run, col(Run.id) == col(StoryRun.run_pk))
        .where(col(StoryRun.story_id).in_(ids), col(StoryRun.active).is_(True))
        .where(col(Run.deleted).is_(False))
        .order_by(col(StoryRun.created_at), col(StoryRun.id))
    ):
        found.setdefault(link.story_id, link)
    return found


def _gates(rules: DoneRules, c: _Context) -> list[Gate]:
    kind = c.story.kind
    required: dict[str, str] = {}
    if kind in rules.sensitive_kinds and c.level in rules.sensitive_levels:
        because = f"{kind} story with {c.level} data (from {', '.join(c.sources)})"
        required.update(dict.fromkeys(rules.sensitive_items, because))
    for item in rules.kinds.get(kind, ()):
        required.setdefault(item, f"{kind} stories need it ([tool.mlboard.done.kinds])")
    gates = [_checked(item, because, c) for item, because in required.items()]
    if rules.experiment_needs_run and kind == StoryKind.EXPERIMENT:
        gates.append(_linked_run(c))
    if rules.target_needs_met_or_accepted and c.story.target:
        gates.append(_target(c))
    return gates


def _checked(item: str, because: str, c: _Context) -> Gate:
    check = c.checks.get(item)
    missing = item
    done = check is not None
    note = check.note if check else None
    if item == APPROVAL and c.assignee:
        missing = f"approval by someone other than @{c.assignee}"
        if check is not None and same_person(check.actor, c.assignee):
            done, note = False, f"checked by the assignee @{c.assignee}; needs someone else"
    if item == APPROVAL and check is not None and as_handle(check.actor) not in c.members:
        done, note = False, f"checked by {check.actor}, not an active member; needs a member"
    if check is None:
        return Gate(item, because, False, missing)
    return Gate(item, because, done, missing, check.actor, check.at, note, check.link)


def _linked_run(c: _Context) -> Gate:
    because = "experiment stories need a linked run"
    if not c.runs:
        return Gate("linked_run", because, False, "linked_run")
    names = ", ".join(run.run_name or run.run_id[:12] for run in c.runs[:3])
    more = f" and {len(c.runs) - 3} more" if len(c.runs) > 3 else ""
    link = c.first_link
    return Gate(
        "linked_run", because, True, "linked_run",
        by=(link.actor or None) if link else None, at=link.created_at if link else None,
        note=f"{plural(len(c.runs), 'run')}: {names}{more}",
    )  # fmt: skip


def _target(c: _Context) -> Gate:
    from mlboard.analytics.training_signals import best_run
    from mlboard.services.experiments import summary

    target = parse_target(c.story.target or "")
    because = f"the story's target is {target}"
    best = best_run([summary(run) for run in c.runs], target)
    if best is not None and target.is_met(best[1]):
        run, value = best
        label = run.run_name or run.run_id[:12]
        note = f"best {target.metric} = {format_number(value)} (run {label})"
        return Gate("target_met", because, True, "target_met", note=note)
    seen = f"best {format_number(best[1])}" if best else f"no finished run with {target.metric}"
    missing = f"target_met ({target}; {seen}) or {ACCEPTED_BELOW_TARGET} with a reason"
    accepted = c.checks.get(ACCEPTED_BELOW_TARGET)
    if accepted is None or not accepted.note.strip():
        return Gate("target_met", because, False, missing)
    return Gate(
        "target_met", because, True, missing, accepted.actor, accepted.at,
        f"accepted below target ({seen}): {accepted.note}", accepted.link,
    )  # fmt: skip


def refuse_unmet_gates(session: Session, ws: Workspace, story: Story) -> None:
    """Raise (exit 3) naming every missing item; the caller's transaction then rolls back."""
    report = evaluate(session, ws.settings.done, [story])[story.key]
    if not report.may_move_to_done:
        raise UserError(report.refusal(), exit_code=REFUSED)


def story_gates(ws: Workspace, key: str) -> GateReport:
    from mlboard.services.stories import find_story

    with ws.reading() as session:
        story = find_story(session, key)
        return evaluate(session, ws.settings.done, [story])[story.key]


def gate_reports(ws: Workspace, keys: Sequence[str]) -> dict[str, GateReport]:
    """Reports for many stories in one read (the board's cards show `may_move_to_done`)."""
    wanted = [key.strip().upper() for key in keys]
    with ws.reading() as session:
        stories = session.exec(select(Story).where(col(Story.key).in_(wanted))).all()
        return evaluate(session, ws.settings.done, stories)


def item_name(text: str, rules: DoneRules) -> str:
    """The checklist item a person typed (`Privacy-Review` is `privacy_review`), or a UserError."""
    name = text.strip().lower().replace("-", "_").replace(" ", "_")
    if name == "linked_run":
        raise UserError(
            "linked_run is not checked by hand: link a run (mlboard story link KEY RUN)"
        )
    if name in COMPUTED_ITEMS:
        raise UserError(
            f"{name} is decided by the runs' metrics; to finish below the target, check "
            f"{ACCEPTED_BELOW_TARGET} --note 'the reason'"
        )
    if name not in rules.items():
        raise UserError(
            f"unknown checklist item {text!r} (items: {', '.join(rules.items())}; teams add "
            "their own in [tool.mlboard.done])"
        )
    return name


def check_item(
    ws: Workspace, key: str, item: str, *, note: str = "", link: str = "", remove: bool = False
) -> ChecklistView | None:
    """Check (or with `remove`, uncheck) an item: who and when are recorded, with the evidence.

    Checking again replaces the earlier check (new who, when, note and link). Returns the
    check, or None when removed.
    """
    from mlboard.services.stories import find_story

    name = item_name(item, ws.settings.done)
    with ws.writing() as session:
        story = find_story(session, key)
        row = session.exec(
            select(ChecklistItem).where(
                ChecklistItem.story_id == story.id, ChecklistItem.item == name
            )
        ).first()
        now = ws.now()
        if remove:
            if row is None:
                raise UserError(f"{story.key} has no {name} checked")
            session.delete(row)
            session.add(_event(story, ws, now, old=name))
            return None
        _check_allowed(session, ws, story, name, note)
        row = row or ChecklistItem(story_id=story.id or 0, item=name, actor=ws.actor, at=now)
        row.actor, row.at, row.note, row.link = ws.actor, now, note.strip(), link.strip()
        session.add(row)
        session.add(_event(story, ws, now, new=name))
        return ChecklistView(name, row.actor, row.at, row.note, row.link)


def _check_allowed(session: Session, ws: Workspace, story: Story, name: str, note: str) -> None:
    if name == APPROVAL and not _is_active_member(session, ws.actor):
        raise UserError(
            f"{ws.actor} is not a member of this board: only members can approve "
            "(mlboard member list)"
        )
    if name == APPROVAL and story.assignee_id is not None:
        assignee = session.get(Member, story.assignee_id)
        if assignee is not None and same_person(ws.actor, assignee.handle):
            raise UserError(
                f"the approval of {story.key} must come from someone other than its assignee "
                f"@{assignee.handle} (you are acting as {ws.actor})"
            )
    if name == ACCEPTED_BELOW_TARGET:
        if not story.target:
            raise UserError(f"{story.key} has no target to accept below")
        if not note.strip():
            raise UserError(
                f"{ACCEPTED_BELOW_TARGET} needs --note with the reason {story.key} is done "
                f"below its target ({story.target})"
            )


def _is_active_member(session: Session, actor: str) -> bool:
    return (
        session.exec(
            select(Member.id).where(
                func.lower(Member.handle) == as_handle(actor), col(Member.active).is_(True)
            )
        ).first()
        is not None
    )


def _event(
    story: Story, ws: Workspace, at: datetime, *, old: str | None = None, new: str | None = None
) -> StoryEvent:
    """Checks are part of the story's history (standups and the detail view read it)."""
    return StoryEvent(
        story_id=story.id or 0, at=at, actor=ws.actor, field="checklist", old=old, new=new
    )
