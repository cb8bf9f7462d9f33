"""What the board screen shows: the active sprint's stories by status, and its filter.

The filter is one line a person types, in the spirit of Linear and GitHub search:
`@ana kind:data drift` keeps Ana's data stories whose key, title or target mentions "drift".
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlboard.domain import StoryKind, parse_choice
from mlboard.services.planning.sprint_view import SprintView
from mlboard.services.stories.view import StoryView
from mlboard.services.team.handles import typed_handle

if TYPE_CHECKING:
    from mlboard.services.experiments.runs import ModelVersionView
    from mlboard.services.governance.evidence import Evidence
    from mlboard.services.workspace import Workspace


@dataclass(frozen=True)
class BoardData:
    sprint: SprintView | None
    stories: list[StoryView]


@dataclass(frozen=True)
class BoardSnapshot:
    """The active sprint's board and the change marker, read in one transaction: what the
    board's first paint draws, and what the change poll compares with afterwards."""

    board: BoardData
    marker: tuple[object, ...]


def load_board(ws: Workspace, sprint: str | None = None) -> BoardData:
    """The named sprint, else the active one; no sprint at all gives an empty board.

    The queries are imported here: the board's first paint reads the same data without
    SQLAlchemy (`sqlite_reads`) and draws these views before the database layer is loaded.
    """
    from mlboard.services.planning.sprints import active_sprint_name, get_sprint
    from mlboard.services.stories.records import list_stories

    name = sprint or active_sprint_name(ws)
    if name is None:
        return BoardData(None, [])
    return BoardData(get_sprint(ws, name), list_stories(ws, sprint=name))


@dataclass(frozen=True)
class BoardFilter:
    words: tuple[str, ...] = ()
    assignees: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def active(self) -> bool:
        return bool(self.words or self.assignees or self.kinds)

    def matches(self, story: StoryView) -> bool:
        if self.assignees and (story.assignee or "") not in self.assignees:
            return False
        if self.kinds and story.kind not in self.kinds:
            return False
        haystack = " ".join(
            (story.key, story.title, str(story.target or ""), story.assignee_name or "")
        ).casefold()
        return all(word in haystack for word in self.words)


def parse_filter(query: str) -> BoardFilter:
    """Read `@handle`, `kind:x` and free words; raise ValueError for an unknown kind.

    Several `@` or `kind:` terms widen the match (any of them); words narrow it (all of them).
    """
    try:
        terms = shlex.split(query)
    except ValueError:  # an unbalanced quote: take the text as plain words
        terms = query.split()
    words, assignees, kinds = [], set(), set()
    for term in terms:
        if term.startswith("@") and len(term) > 1:
            assignees.add(typed_handle(term).lower())
        elif term.lower().startswith("kind:"):
            kinds.add(parse_choice(StoryKind, term[5:], "kind").value)
        else:
            words.append(term.casefold())
    return BoardFilter(tuple(words), frozenset(assignees), frozenset(kinds))


@dataclass(frozen=True)
class CardFacts:
    """What a card shows besides the story itself, read for a whole sprint at once.

    `model` is the newest version registered from the story's runs (its aliases are the badge).
    """

    evidence: Evidence | None = None
    data_blockers: tuple[str, ...] = ()
    gates_missing: tuple[str, ...] = ()
    sensitivity: str = "none"
    model: ModelVersionView | None = None

    def badge(self) -> tuple[object, ...]:
        """Everything the card draws from these facts: cards redraw only when it changes."""
        evidence = self.evidence
        compute = evidence.compute if evidence else None
        model = self.model
        return (
            evidence.best_value if evidence else None,
            evidence.target_met if evidence else None,
            evidence.warning_count if evidence else 0,
            self.data_blockers,
            self.gates_missing,
            self.sensitivity,
            (round(compute.gpu_hours_used, 1), compute.gpu_hours_budget) if compute else None,
            (model.name, model.version, model.aliases) if model else None,
        )


def card_facts(ws: Workspace, keys: list[str]) -> dict[str, CardFacts]:
    """Evidence (with GPU-hours), the newest model version, data blockers, unmet
    Definition-of-Done gates and inherited sensitivity: a few queries per kind of fact, however
    many cards."""
    from mlboard.services.data.status import data_blockers
    from mlboard.services.experiments.story_models import model_versions_of
    from mlboard.services.governance.evidence import sprint_evidence
    from mlboard.services.governance.gates import gate_reports

    evidence = sprint_evidence(ws, keys)
    with ws.reading() as session:
        models = model_versions_of(
            session, {key: {run.run_id for run in found.runs} for key, found in evidence.items()}
        )
    blockers = data_blockers(ws, keys)
    gates = gate_reports(ws, keys)
    return {
        key: CardFacts(
            evidence=evidence.get(key),
            data_blockers=tuple(blockers.get(key, ())),
            gates_missing=(
                tuple(gate.item for gate in gates[key].gates if not gate.done)
                if key in gates
                else ()
            ),
            sensitivity=gates[key].sensitivity if key in gates else "none",
            model=next(iter(models.get(key, ())), None),
        )
        for key in keys
    }
