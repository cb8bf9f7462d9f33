"""The light read of a SQLite file answers exactly what the services answer, or nothing.

The board's first paint and the listing commands read the file with sqlite3 (no SQLAlchemy)
when its schema is current. These tests hold that read equal to `load_board`, `list_stories`,
`list_sprints` and `change_marker` on the sample team and on boards built from random edits,
and check that every file the normal path would upgrade, refuse or report is left to it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import Clock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.services.changes import change_marker
from mlboard.services.planning.sprints import (
    add_sprint,
    close_sprint,
    get_sprint,
    list_sprints,
    start_sprint,
)
from mlboard.services.sqlite_reads import FileReads, read_file
from mlboard.services.stories.board import load_board
from mlboard.services.stories.records import (
    create_story,
    edit_story,
    list_stories,
    rank_story,
    step_story,
)
from mlboard.services.team.members import add_member
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import create_database_engine, database_url, open_database

FILTERS = [
    {},
    {"backlog": True},
    {"status": "in-progress"},
    {"kind": "experiment"},
    {"assignee": "@ana"},
    {"status": "done", "kind": "data"},
]


def light(ws: Workspace, read: str, *args: object, **kwargs: object) -> object:
    """`FileReads.<read>(*args, **kwargs)` on the workspace's file."""
    return read_file(ws.settings.database, lambda reads: getattr(reads, read)(*args, **kwargs))


def same(read: object, service: object) -> None:
    """Equal, and of the same types too: `1 == True` and `3 == 3.0`, but JSON tells them apart."""
    assert read == service
    assert repr(read) == repr(service)


def assert_same_reads(ws: Workspace) -> None:
    """Every read the light path offers, compared with the service's answer."""
    snapshot = light(ws, "board_snapshot")
    assert snapshot is not None, "a current SQLite file must be readable without SQLAlchemy"
    same(snapshot.board, load_board(ws))  # type: ignore[attr-defined]
    same(snapshot.marker, change_marker(ws))  # type: ignore[attr-defined]
    same(light(ws, "list_sprints"), list_sprints(ws))
    for sprint in list_sprints(ws):
        same(light(ws, "get_sprint", sprint.name), get_sprint(ws, sprint.name))
        same(light(ws, "list_stories", sprint=sprint.name), list_stories(ws, sprint=sprint.name))
    for filters in FILTERS:
        same(light(ws, "list_stories", **filters), list_stories(ws, **filters))


def test_the_sample_team_reads_the_same(sample_workspace):
    board = load_board(sample_workspace)
    assert board.sprint is not None and len(board.stories) > 10  # a real board, not an empty one
    assert_same_reads(sample_workspace)


def test_ties_in_the_backlog_order_are_broken_alike(sample_workspace):
    """Imports can leave equal ranks (and keys of two prefixes share numbers)."""
    with sqlite3.connect(sample_workspace.settings.database) as connection:
        connection.execute("UPDATE story SET rank = 1.0, number = (1000 - id) / 2")
    connection.close()
    same(light(sample_workspace, "list_stories"), list_stories(sample_workspace))


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"sprint": "Sprint 99"}, "sprint 'Sprint 99' not found"),
        ({"assignee": "@nobody"}, "member @nobody not found (add them with: mlboard member add)"),
        ({"status": "doing"}, "status: unknown status 'doing'"),
        ({"kind": "epic"}, "kind: unknown kind 'epic'"),
        ({"sprint": "Sprint 99", "status": "doing"}, "sprint 'Sprint 99' not found"),
    ],
)
def test_a_bad_filter_is_the_same_one_line_error(sample_workspace, filters, message):
    with pytest.raises(UserError) as service:
        list_stories(sample_workspace, **filters)
    with pytest.raises(UserError) as read:
        light(sample_workspace, "list_stories", **filters)
    assert service.value.message == read.value.message
    assert read.value.message.startswith(message)


def test_a_handle_typed_in_another_form_finds_the_same_member(sample_workspace):
    """`@josé` typed with a decomposed é (as a Mac sends it), spaces around: the member `josé`."""
    add_member(sample_workspace, "josé", "José Lima")
    typed = " @jose\u0301 "
    same(light(sample_workspace, "list_stories", assignee=typed), [])
    same(
        light(sample_workspace, "list_stories", assignee=typed),
        list_stories(sample_workspace, assignee=typed),
    )


def test_a_light_read_writes_nothing(sample_workspace):
    path = Path(sample_workspace.settings.database)
    sample_workspace.close()  # no connection of the services left open beside the file
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_file(str(path), FileReads.board_snapshot) is not None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# -- boards built from random edits -------------------------------------------------------------

SPRINTS = ("S1", "S2", "S3")
MEMBERS = ("ana", "bo")
POINTS = st.sampled_from(["", "0", "1", "2.5", "3", "0.1", "0.2", "7.3", "13"])
TITLES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["experiment", "data", "model", "bug", "research"]),
        "points": POINTS,
        "estimate_low": POINTS,
        "assignee": st.sampled_from([*MEMBERS, ""]),
        "sprint": st.sampled_from([*SPRINTS, ""]),
        "target": st.sampled_from(["val_auc >= 0.8", "rmse < 3", ""]),
        "blocked": st.sampled_from(["waiting for data", ""]),
        "sensitivity": st.sampled_from(["none", "personal"]),
        "timebox_days": POINTS,
    },
)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), TITLES, FIELDS),
        st.tuples(st.just("edit"), st.integers(0, 30), FIELDS),
        st.tuples(st.just("step"), st.integers(0, 30), st.sampled_from([1, 1, -1])),
        st.tuples(st.just("rank"), st.integers(0, 30), st.booleans()),
        st.tuples(st.just("start"), st.sampled_from(SPRINTS), st.none()),
        st.tuples(st.just("close"), st.sampled_from(SPRINTS), st.sampled_from([None, *SPRINTS])),
        st.tuples(st.just("wait"), st.integers(1, 72), st.none()),
    ),
    max_size=30,
)


@pytest.fixture(scope="module")
def empty_board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the team and its sprints, copied for every example."""
    path = tmp_path_factory.mktemp("template") / "board.db"
    ws = Workspace(open_database(str(path)), Settings(str(path), "test", actor="tester"), Clock())
    for handle in MEMBERS:
        add_member(ws, handle, handle.title())
    for number, name in enumerate(SPRINTS):
        add_sprint(ws, name, start=f"2026-11-{2 + 14 * number:02d}")
    ws.close()
    return path


def apply(ws: Workspace, clock: Clock, step: tuple) -> None:
    """One user action; the ones the services refuse change nothing, as in real use."""
    action, first, second = step
    keys = [story.key for story in list_stories(ws)]
    try:
        match action:
            case "add":
                create_story(ws, first, second)
            case "edit" if keys:
                edit_story(ws, keys[first % len(keys)], second)
            case "step" if keys:
                step_story(ws, keys[first % len(keys)], second)
            case "rank" if keys:
                rank_story(ws, keys[first % len(keys)], top=second, bottom=not second)
            case "start":
                start_sprint(ws, first)
            case "close":
                close_sprint(ws, first, carry_over_to=second)
            case "wait":
                clock.advance(hours=first)
    except UserError:
        pass


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_boards_built_from_random_edits_read_the_same(empty_board: Path, steps: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "board.db"
        shutil.copyfile(empty_board, path)
        clock = Clock()
        ws = Workspace(open_database(str(path)), Settings(str(path), "test", actor="tester"), clock)
        try:
            for step in steps:
                apply(ws, clock, step)
            assert_same_reads(ws)
        finally:
            ws.close()


# -- what the light path leaves to the normal one -----------------------------------------------


def at_revision(path: Path, revision: str) -> str:
    engine = create_database_engine(database_url(str(path)))
    migrations.upgrade(engine, revision)
    engine.dispose()
    return str(path)


def test_an_older_schema_is_left_to_the_upgrade(tmp_path):
    older = migrations.known_revisions()[-2]
    location = at_revision(tmp_path / "old.db", older)
    assert read_file(location, FileReads.board_snapshot) is None
    open_database(location).dispose()  # the normal path upgrades it...
    assert read_file(location, FileReads.board_snapshot) is not None  # ...and then it is read


def test_a_newer_schema_is_left_to_the_refusal(tmp_path):
    location = at_revision(tmp_path / "new.db", "head")
    with sqlite3.connect(location) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    assert read_file(location, FileReads.board_snapshot) is None
    with pytest.raises(UserError, match="written by a newer mlboard"):
        open_database(location)


@pytest.mark.parametrize(
    "location",
    [
        "missing.db",
        "folder",
        "notes.txt",
        "foreign.db",
        "postgresql://user@localhost/team",
        "sqlite:///board.db?mode=ro",
    ],
)
def test_anything_but_a_current_mlboard_file_is_left_to_the_normal_path(
    tmp_path, monkeypatch, location
):
    monkeypatch.chdir(tmp_path)
    at_revision(tmp_path / "board.db", "head")
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a database")
    with sqlite3.connect(tmp_path / "foreign.db") as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    connection.close()
    assert read_file(location, FileReads.board_snapshot) is None
    assert not (tmp_path / "missing.db").exists()  # looking does not create a file
