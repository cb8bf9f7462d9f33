"""Generate a large mlboard workspace for the benchmarks.

    python benchmarks/generate.py --stories 5000 --sprints 40 --out /tmp/large.db [--seed 7]

The database is created with `mlboard.store.engine.open_database`, so its schema and migrations
are the real ones. It holds a team of members, back-to-back two-week sprints (all closed but the
last, which is active and contains today), stories of every kind in and out of sprints, and a
dated history that follows the store's conventions (see `StoryEvent` and `apply_changes`): one
`created` event per story, then one event per changed field with the old and new values as text,
sprint and assignee by name and handle, numbers written by `as_event_text`.

Stories are simulated in memory by `StoryDraft` (story_draft.py), which mirrors `apply_changes`
(including the `started_at`/`done_at` rules of `_set_status`), so each story row holds exactly the
values its last events say. Everything is then written in bulk (SQLAlchemy Core `insert` with
lists of rows) in a single transaction: the per-story services would take minutes, not seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from story_draft import StoryDraft

from mlboard.demo.sample_team import SPRINT_CLOSES_AT, SPRINT_STARTS_AT
from mlboard.domain import SprintState, StoryKind, StoryStatus, Target
from mlboard.services.planning.sprints import DEFAULT_LENGTH
from mlboard.services.stories.fields import as_event_text
from mlboard.store.engine import open_database, write_session
from mlboard.store.tables import Member, Sprint, Story, StoryEvent

SPRINT_DAYS = 14  # back to back: each sprint starts on the Monday two weeks after the last one
CLOSE_AFTER = timedelta(days=11)  # closed on the Friday of its second week
BACKLOG_SHARE = 0.10  # stories never planned into a sprint
BUGS_IN_SPRINT = 0.05  # bugs created straight into the running sprint (no planning events)
MID_SPRINT = 0.08  # stories added after their sprint started (scope change)
RETURN_TO_BACKLOG = 0.10  # of the unfinished stories at a close, sent back instead of carried

# Points as teams really use them: mostly Fibonacci, a few halves.
POINTS = (0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 8.0, 13.0)
POINT_WEIGHTS = (3, 12, 18, 3, 25, 22, 12, 5)
KIND_WEIGHTS = {
    StoryKind.EXPERIMENT: 30,
    StoryKind.DATA: 20,
    StoryKind.MODEL: 15,
    StoryKind.INFRA: 10,
    StoryKind.DEPLOY: 8,
    StoryKind.RESEARCH: 9,
    StoryKind.BUG: 8,
}
SENSITIVITY_WEIGHTS = {"none": 50, "internal": 30, "personal": 17, "special_category": 3}

MEMBERS = (
    ("priya", "Priya Raman", "ML lead", 0.5),
    ("ana", "Ana Souza", "ML engineer", 0.7),
    ("tomasz", "Tomasz Wiśniewski", "data engineer", 0.7),
    ("kwame", "Kwame Mensah", "MLOps engineer", 0.6),
    ("zoe", "Zoë Lefèvre", "data scientist", 0.6),
    ("hiro", "Hiroshi Tanaka", "ML engineer", 0.7),
    ("fatima", "Fatima Al-Sayed", "data scientist", 0.6),
    ("lars", "Lars Eriksson", "data engineer", 0.7),
    ("mei", "Mei Chen", "research scientist", 0.5),
    ("diego", "Diego Fernández", "ML engineer", 0.7),
    ("amara", "Amara Okafor", "MLOps engineer", 0.6),
    ("jonas", "Jonas Becker", "analytics engineer", 0.6),
)

MODELS = ("churn", "fraud", "ranking", "forecast", "pricing", "recommender", "propensity", "ltv")
DATASETS = ("events", "transactions", "sessions", "chargebacks", "catalog", "clicks", "support")
TECHNIQUES = (
    "LightGBM",
    "target encoding",
    "focal loss",
    "temperature scaling",
    "merchant embeddings",
    "a two-tower model",
    "SMOTE",
    "quantile regression",
    "feature crosses",
    "a transformer encoder",
)
METRICS = (
    ("val_auc", ">=", 0.78, 0.93),
    ("val_f1", ">=", 0.55, 0.85),
    ("val_pr_auc", ">=", 0.4, 0.7),
    ("recall_at_10", ">=", 0.2, 0.5),
    ("rmse", "<=", 4.0, 12.0),
    ("mape", "<=", 0.05, 0.2),
    ("latency_p95_ms", "<", 20.0, 120.0),
)
TITLES = {
    StoryKind.EXPERIMENT: "Try {technique} on the {model} model",
    StoryKind.DATA: "Backfill {dataset} features for the {model} training set",
    StoryKind.MODEL: "Retrain {model} v{version} on the latest {dataset} snapshot",
    StoryKind.INFRA: "Move {model} training to spot GPUs with checkpointing",
    StoryKind.DEPLOY: "Shadow-deploy {model} v{version} behind the scoring API",
    StoryKind.RESEARCH: "Spike: does {technique} help {model} on sparse {dataset}?",
    StoryKind.BUG: "Fix {dataset} join dropping rows in {model} features",
}
BLOCKED_REASONS = (
    "waiting for GPU quota",
    "upstream table late",
    "needs legal sign-off on personal data",
    "waiting on platform team",
    "label backfill not finished",
)


@dataclass(frozen=True)
class SprintPlan:
    """A generated sprint; `closed_at` is None for the active one."""

    id: int
    name: str
    goal: str
    start: date
    end: date
    started_at: datetime
    closed_at: datetime | None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "goal": self.goal,
            "start": self.start,
            "end": self.end,
            "state": (SprintState.ACTIVE if self.closed_at is None else SprintState.CLOSED).value,
            "started_at": self.started_at,
            "closed_at": self.closed_at,
            "created_at": datetime.combine(self.start - timedelta(days=3), clock_time(9), UTC),
        }


@dataclass
class Workload:
    """Generated rows, ready to insert."""

    members: list[dict[str, Any]]
    sprints: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    events: list[dict[str, Any]]


class Simulator:
    """Writes a team's history: sprints planned, worked on, closed, and carried over."""

    def __init__(self, rng: random.Random, sprints: int, members: int, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.members = [handle for handle, *_ in MEMBERS[: max(members, 1)]]
        self.lead = self.members[0]
        self.sprints = sprint_plans(sprints, now)
        self.sprint_ids = {s.name: s.id for s in self.sprints}
        self.member_ids = {handle: index + 1 for index, handle in enumerate(self.members)}

    # -- helpers -----------------------------------------------------------------------------

    def _days(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=round(self.rng.uniform(low, high) * 86_400))

    def _between(self, low: datetime, high: datetime) -> datetime:
        seconds = max((high - low).total_seconds(), 0)
        return low + timedelta(seconds=round(self.rng.uniform(0, seconds)))

    def _points(self) -> float:
        return self.rng.choices(POINTS, POINT_WEIGHTS)[0]

    def _deadline(self, index: int) -> datetime:
        """When work in sprint `index` stops: its close, or (active sprint) a minute ago."""
        return self.sprints[index].closed_at or self.now - timedelta(minutes=1)

    def _new_draft(self, at: datetime, kind: StoryKind | None = None, **initial: Any) -> StoryDraft:
        """A story created at `at` with the fields people fill in when they write one."""
        rng = self.rng
        kind = kind or rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
        sensitivity = rng.choices(list(SENSITIVITY_WEIGHTS), list(SENSITIVITY_WEIGHTS.values()))
        fields: dict[str, Any] = {"description": self._description(kind)}
        fields["sensitivity"] = sensitivity[0]
        if kind in (StoryKind.EXPERIMENT, StoryKind.RESEARCH):
            fields["target"] = self._target()
        if kind is StoryKind.RESEARCH:
            fields["timebox_days"] = float(rng.choice((2, 3, 5)))
        if kind in (StoryKind.EXPERIMENT, StoryKind.MODEL) and rng.random() < 0.5:
            fields["gpu_hours"] = float(rng.choice((4, 8, 16, 40, 80)))
        if rng.random() < 0.4:
            fields["points"] = self._points()
        fields |= initial
        actor = rng.choice(self.members)
        title = self._title(kind)
        return StoryDraft.create(
            at, actor, title, kind.value, self.sprint_ids, self.member_ids, **fields
        )

    def _title(self, kind: StoryKind) -> str:
        rng = self.rng
        return TITLES[kind].format(
            technique=rng.choice(TECHNIQUES),
            model=rng.choice(MODELS),
            dataset=rng.choice(DATASETS),
            version=rng.randint(2, 9),
        )

    def _description(self, kind: StoryKind) -> str:
        model, dataset = self.rng.choice(MODELS), self.rng.choice(DATASETS)
        return (
            f"{kind.value.capitalize()} work for the {model} model using {dataset}. "
            "Log every run to MLflow and link it here; note the data window used."
        )

    def _target(self) -> str:
        metric, op, low, high = self.rng.choice(METRICS)
        return str(Target(metric, op, round(self.rng.uniform(low, high), 2)))

    # -- story lives -------------------------------------------------------------------------

    def backlog_story(self) -> StoryDraft:
        """A story that was never planned: created some time ago, maybe groomed since."""
        created = self._between(self.sprints[0].started_at - timedelta(days=30), self.now)
        draft = self._new_draft(created)
        self._groom(draft, until=self.now - timedelta(minutes=1))
        return draft

    def sprint_story(self, index: int) -> StoryDraft:
        """A story planned into sprint `index` (or created in it), then worked on."""
        rng, sprint = self.rng, self.sprints[index]
        if rng.random() < BUGS_IN_SPRINT:
            found = self._between(sprint.started_at, self._deadline(index))
            draft = self._new_draft(
                found, StoryKind.BUG, sprint=sprint.name, assignee=rng.choice(self.members)
            )
            self._work(draft, index, found)
            return draft
        planned = sprint.started_at - timedelta(minutes=rng.randint(5, 60))
        if rng.random() < MID_SPRINT:
            added = sprint.started_at + self._days(0.1, 6)
            planned = added if added < self._deadline(index) else planned
        created = planned - self._days(0.5, 45)
        draft = self._new_draft(created)
        self._groom(draft, until=planned - timedelta(minutes=1))
        draft.change(planned, self.lead, sprint=sprint.name, status=StoryStatus.TODO.value)
        draft.change(planned, self.lead, assignee=rng.choice(self.members))
        self._work(draft, index, planned)
        return draft

    def _groom(self, draft: StoryDraft, until: datetime) -> None:
        """Refinement before planning: estimates, clearer descriptions, better titles."""
        rng = self.rng
        edits: list[dict[str, Any]] = []
        if draft.values["points"] is None and rng.random() < 0.85:
            edits.append({"points": self._points()})
        if rng.random() < 0.4:
            low = self._points()
            edits.append({"estimate_low": low, "estimate_high": low * rng.choice((1.5, 2, 3))})
        if rng.random() < 0.5:
            edits.append({"description": draft.values["description"] + " Scope agreed."})
        if rng.random() < 0.2:
            edits.append({"title": draft.values["title"] + " (v2)"})
        if draft.values["target"] is not None and rng.random() < 0.25:
            edits.append({"target": self._target()})
        if rng.random() < 0.1:
            edits.append({"sensitivity": "personal"})
        moments = sorted(self._between(draft.last_at, until) for _ in edits)
        for at, edit in zip(moments, edits, strict=True):
            draft.change(at, rng.choice(self.members), **edit)

    def _steps(self, draft: StoryDraft) -> Iterator[tuple[timedelta, dict[str, Any]]]:
        """The remaining work on a story: (delay since the previous step, changes) pairs."""
        rng = self.rng
        yield self._days(0.1, 6), {"status": StoryStatus.IN_PROGRESS.value}
        if rng.random() < 0.2:
            yield self._days(0.2, 2), {"blocked": rng.choice(BLOCKED_REASONS)}
            yield self._days(0.3, 3), {"blocked": None}
        if rng.random() < 0.25:
            points = draft.values["points"] or self._points()
            yield self._days(0.1, 1), {"points": self._neighbour(points)}
        if draft.values["gpu_hours"] is not None and rng.random() < 0.4:
            yield self._days(0.2, 2), {"gpu_hours": draft.values["gpu_hours"] * 2}
        if rng.random() < 0.08:
            yield self._days(0.1, 1), {"assignee": rng.choice(self.members)}
        yield self._days(0.5, 6), {"status": StoryStatus.REVIEW.value}
        if rng.random() < 0.4:
            yield self._days(0.1, 1), {"status": StoryStatus.IN_PROGRESS.value}
            yield self._days(0.3, 2), {"status": StoryStatus.REVIEW.value}
        yield self._days(0.05, 1.5), {"status": StoryStatus.DONE.value}

    def _neighbour(self, points: float) -> float:
        """A re-estimate: one step up (usually) or down the points scale."""
        index = POINTS.index(points) if points in POINTS else 4
        step = 1 if self.rng.random() < 0.7 else -1
        return POINTS[min(max(index + step, 0), len(POINTS) - 1)]

    def _work(self, draft: StoryDraft, index: int, since: datetime) -> None:
        """Move the story along; carry it over (or back to the backlog) when its sprint closes."""
        cursor = since
        for delay, changes in self._steps(draft):
            at = cursor + delay
            while at > self._deadline(index):
                if index == len(self.sprints) - 1:
                    return  # the active sprint: this has not happened yet
                closed = self._deadline(index)
                if self.rng.random() < RETURN_TO_BACKLOG:
                    draft.change(closed, self.lead, sprint=None, status=StoryStatus.BACKLOG.value)
                    return
                index += 1
                draft.change(closed, self.lead, sprint=self.sprints[index].name)
                at = self.sprints[index].started_at + self._days(0.05, 2)
            actor = draft.assignee or self.lead
            draft.change(at, actor, **changes)
            cursor = at


def sprint_plans(count: int, now: datetime) -> list[SprintPlan]:
    """`count` back-to-back sprints starting on Mondays; the last is active and holds today."""
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    if now < datetime.combine(monday, SPRINT_STARTS_AT, UTC) + timedelta(hours=2):
        monday -= timedelta(days=7)  # too early on a Monday: be in week two of the sprint
    first = monday - timedelta(days=SPRINT_DAYS * (count - 1))
    plans = []
    for index in range(count):
        start = first + timedelta(days=SPRINT_DAYS * index)
        active = index == count - 1
        plans.append(
            SprintPlan(
                id=index + 1,
                name=f"Sprint {index + 1}",
                goal=f"Ship {MODELS[index % len(MODELS)]} improvements ({index + 1})",
                start=start,
                end=start + DEFAULT_LENGTH,
                started_at=datetime.combine(start, SPRINT_STARTS_AT, UTC),
                closed_at=(
                    None if active else datetime.combine(start + CLOSE_AFTER, SPRINT_CLOSES_AT, UTC)
                ),
            )
        )
    return plans


def simulate(stories: int, sprints: int, members: int, seed: int, now: datetime) -> Workload:
    """All rows of the workspace, with story numbers in creation order and events in time order."""
    rng = random.Random(seed)
    sim = Simulator(rng, sprints, members, now)
    backlog = round(stories * BACKLOG_SHARE)
    drafts = [sim.backlog_story() for _ in range(backlog)]
    drafts += [sim.sprint_story(rng.randrange(sprints)) for _ in range(stories - backlog)]
    drafts.sort(key=lambda d: d.values["created_at"])
    return Workload(
        members=member_rows(sim.members, sim.sprints[0].started_at),
        sprints=[plan.row() for plan in sim.sprints],
        stories=[story_row(number, draft) for number, draft in enumerate(drafts, start=1)],
        events=event_rows(drafts),
    )


def member_rows(handles: Sequence[str], first_sprint: datetime) -> list[dict[str, Any]]:
    joined = first_sprint - timedelta(days=30)
    known = {handle: (name, role, rate) for handle, name, role, rate in MEMBERS}
    return [
        {
            "id": index,
            "handle": handle,
            "name": known[handle][0],
            "role": known[handle][1],
            "email": f"{handle}@example.com",
            "points_per_day": known[handle][2],
            "active": True,
            "created_at": joined,
        }
        for index, handle in enumerate(handles, start=1)
    ]


def story_row(number: int, draft: StoryDraft) -> dict[str, Any]:
    """The story as `add_story` would number and rank it (creation order)."""
    key = f"ML-{number}"
    return draft.values | {"id": number, "key": key, "number": number, "rank": float(number)}


def event_rows(drafts: Sequence[StoryDraft]) -> list[dict[str, Any]]:
    """Every event, in time order so ids grow with time as they do in a real store."""
    rows = [
        {
            "story_id": story_id,
            "at": event.at,
            "actor": event.actor,
            "field": event.field,
            "old": event.old,
            "new": event.new,
        }
        for story_id, draft in enumerate(drafts, start=1)
        for event in draft.events
    ]
    rows.sort(key=lambda row: row["at"])  # stable: a story's same-instant events keep their order
    return rows


def write(engine: Engine, workload: Workload) -> None:
    """Insert everything in one transaction, with executemany per table."""
    with write_session(engine) as session:
        for table, rows in (
            (Member.__table__, workload.members),
            (Sprint.__table__, workload.sprints),
            (Story.__table__, workload.stories),
            (StoryEvent.__table__, workload.events),
        ):
            if rows:
                session.execute(insert(table), rows)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Member.__table__, Sprint.__table__, Story.__table__, StoryEvent.__table__)
        }


def check(workload: Workload, now: datetime) -> list[str]:
    """Problems found by replaying the events against the story rows (empty when consistent)."""
    sprint_names = {row["id"]: row["name"] for row in workload.sprints}
    handles = {row["id"]: row["handle"] for row in workload.members}
    last: dict[tuple[int, str], str | None] = {}
    problems = []
    for event in workload.events:
        last[(event["story_id"], event["field"])] = event["new"]
        if event["at"] > now:
            problems.append(f"event in the future: {event}")
    for story in workload.stories:
        current = {
            "status": story["status"],
            "points": as_event_text(story["points"]),
            "sprint": sprint_names.get(story["sprint_id"]),
            "assignee": handles.get(story["assignee_id"]),
        }
        for name, value in current.items():
            logged = last.get((story["id"], name), value)
            if logged != value:
                problems.append(f"{story['key']}: {name} is {value!r}, history says {logged!r}")
        if (story["done_at"] is not None) != (story["status"] == StoryStatus.DONE):
            problems.append(f"{story['key']}: done_at {story['done_at']} with {story['status']}")
        if story["started_at"] is None and story["status"] in _STARTED:
            problems.append(f"{story['key']}: {story['status']} but never started")
    return problems


_STARTED = {StoryStatus.IN_PROGRESS, StoryStatus.REVIEW, StoryStatus.DONE}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--sprints", type=int, default=40)
    parser.add_argument("--members", type=int, default=12, help=f"at most {len(MEMBERS)}")
    parser.add_argument("--out", type=Path, required=True, help="database file to create")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument(
        "--now",
        type=_utc_time,
        default=None,
        help="pretend it is this UTC time, e.g. 2026-11-26T15:00 (default: now), for a "
        "database that is the same whenever it is generated",
    )
    args = parser.parse_args(argv)
    if args.sprints < 1 or args.stories < 0 or not 1 <= args.members <= len(MEMBERS):
        parser.error(f"need --sprints >= 1, --stories >= 0, 1 <= --members <= {len(MEMBERS)}")
    return args


def _utc_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def status_counts(workload: Workload) -> dict[str, int]:
    """Stories by status, and how many are in the active sprint and in no sprint."""
    active = workload.sprints[-1]["id"]
    counts = {status.value: 0 for status in StoryStatus}
    for story in workload.stories:
        counts[story["status"]] += 1
    counts["in active sprint"] = sum(1 for s in workload.stories if s["sprint_id"] == active)
    counts["in no sprint"] = sum(1 for s in workload.stories if s["sprint_id"] is None)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out.expanduser().resolve()
    if out.exists():
        if not args.force:
            print(f"{out} exists; pass --force to replace it", file=sys.stderr)
            return 2
        remove_database(out)
    began = time.perf_counter()
    now = args.now or datetime.now(UTC)
    workload = simulate(args.stories, args.sprints, args.members, args.seed, now)
    simulated = time.perf_counter()
    problems = check(workload, now)
    if problems:
        print("generated history is inconsistent:", *problems[:10], sep="\n  ", file=sys.stderr)
        return 1
    engine = open_database(str(out))
    try:
        write(engine, workload)
        written = time.perf_counter()
        counts = row_counts(engine)
    finally:
        engine.dispose()
    print(f"generated {out} in {written - began:.2f} s", end=" ")
    print(f"(simulate {simulated - began:.2f} s, write {written - simulated:.2f} s)")
    print("  " + ", ".join(f"{name}: {count:,}" for name, count in counts.items()))
    print(f"  events per story: {counts['storyevent'] / max(counts['story'], 1):.1f}")
    print("  " + ", ".join(f"{s}: {n:,}" for s, n in status_counts(workload).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
