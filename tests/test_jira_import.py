"""Importing real Jira exports: all or nothing, and again without duplicates."""

from __future__ import annotations

import shutil

import pytest

from mlboard.errors import UserError
from mlboard.services.board import parse_filter
from mlboard.services.jira_import import import_jira
from mlboard.services.members import add_member, list_members
from mlboard.services.sprints import list_sprints
from mlboard.services.stories import get_story, list_stories, story_history

from fixture_files import JIRA_CLEAN as CLEAN
from fixture_files import JIRA_DAMAGED as DAMAGED


def test_a_clean_export_becomes_stories_sprints_and_members(workspace):
    result = import_jira(workspace, CLEAN)
    assert (result.created, result.updated) == (22, 0)
    stories = list_stories(workspace)
    assert len(stories) == 22
    story = get_story(workspace, "TES-24")
    assert (story.title, story.status, story.sprint) == (
        "Bug Fixing: problem in production",
        "in_progress",
        "TES Sprint 1",
    )
    assert story.assignee == "saicharan.basireddy"
    assert get_story(workspace, "TES-22").kind == "research"  # "SPIKE: ..." title
    assert "TES Sprint 1" in [s.name for s in list_sprints(workspace)]
    assert "Saicharan Basireddy" in [m.name for m in list_members(workspace)]


def test_dates_and_history_come_from_the_file(workspace):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import_jira(workspace, CLEAN, zone=ZoneInfo("Europe/Paris"))
    story = get_story(workspace, "TES-24")
    # "22/Sep/25 9:09 AM" in Paris (UTC+2 in September)
    assert story.created_at == datetime(2025, 9, 22, 7, 9, tzinfo=UTC)
    fields = [event.field for event in story_history(workspace, "TES-24")]
    assert fields == ["created", "status"]


def test_reimporting_the_same_file_changes_nothing(workspace):
    import_jira(workspace, CLEAN)
    again = import_jira(workspace, CLEAN)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 22)
    assert (again.sprints_added, again.members_added) == (0, 0)


def test_the_damaged_export_is_refused_with_row_numbers(workspace):
    with pytest.raises(UserError) as refused:
        import_jira(workspace, DAMAGED)
    message = refused.value.message
    assert "Summary" in message
    assert "row 8:" in message and "50" in message
    assert list_stories(workspace) == [] and list_sprints(workspace) == []
    assert list_members(workspace) == []


def test_a_bad_row_in_an_otherwise_good_file_imports_nothing(workspace, tmp_path):
    text = CLEAN.read_text(encoding="utf-8-sig")
    broken = text.replace(",TES-24,", ",not a key,", 1)
    path = tmp_path / "broken.csv"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(UserError, match="row 3"):
        import_jira(workspace, path)
    assert list_stories(workspace) == []


def test_a_missing_file_is_a_clear_error(workspace, tmp_path):
    with pytest.raises(UserError, match="cannot be read"):
        import_jira(workspace, tmp_path / "nope.csv")


def test_crlf_and_bom_variants_import_the_same(workspace, tmp_path):
    path = tmp_path / "excel.csv"
    shutil.copy(CLEAN, path)
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert import_jira(workspace, path).created == 22


# --- people and their handles ----------------------------------------------------------------

PEOPLE = {
    "王伟": "王伟",
    "李娜": "李娜",
    "Иван Петров": "иван.петров",
    "محمد علي": "محمد.علي",
    "Σωκράτης Παπαδόπουλος": "σωκράτης.παπαδόπουλος",
    "राहुल शर्मा": "राहुल.शर्मा",
    "Jose": "jose",  # "Jose" sorts before "José": the same handles whatever the row order
    "José": "jose-2",
}


def export(path, assignees: list[tuple[str, str]], *, ids: bool = False):
    """A small Jira export: one story per (key, assignee), optionally with `Assignee Id`."""
    header = "Summary,Issue key,Status Category,Assignee" + (",Assignee Id" if ids else "")
    rows = []
    for key, assignee in assignees:
        account = f",acc-{assignee.split('#')[-1]}" if ids else ""
        rows.append(f"Story {key},{key},To Do,{assignee.split('#')[0]}{account}")
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def handles_by_name(workspace) -> dict[str, str]:
    return {member.name: member.handle for member in list_members(workspace)}


def assignees(workspace) -> dict[str, str | None]:
    return {story.key: story.assignee for story in list_stories(workspace)}


def test_people_of_every_script_get_their_own_handle(workspace, tmp_path):
    rows = [(f"ML-{n}", name) for n, name in enumerate(reversed(PEOPLE), start=1)]
    result = import_jira(workspace, export(tmp_path / "team.csv", rows))
    assert result.members_added == 8
    assert handles_by_name(workspace) == PEOPLE
    assert assignees(workspace) == {key: PEOPLE[name] for key, name in rows}
    [story] = list_stories(workspace, assignee="@иван.петров")
    assert get_story(workspace, story.key).assignee == "иван.петров"
    wanted = parse_filter("@ИВАН.ПЕТРОВ @王伟")
    assert {s.assignee for s in list_stories(workspace) if wanted.matches(s)} == {
        "иван.петров",
        "王伟",
    }


def test_a_newer_export_maps_everyone_to_the_same_member(workspace, tmp_path):
    import_jira(workspace, export(tmp_path / "v1.csv", [("ML-1", "José"), ("ML-2", "王伟")]))
    first = handles_by_name(workspace)
    newer = [("ML-1", "王伟"), ("ML-2", "José"), ("ML-3", "Jose"), ("ML-4", "李娜")]
    result = import_jira(workspace, export(tmp_path / "v2.csv", newer))
    assert result.members_added == 2
    assert handles_by_name(workspace) == first | {"Jose": "jose-2", "李娜": "李娜"}
    assert first == {"José": "jose", "王伟": "王伟"}
    assert assignees(workspace) == {
        "ML-1": "王伟",
        "ML-2": "jose",
        "ML-3": "jose-2",
        "ML-4": "李娜",
    }
    again = import_jira(workspace, export(tmp_path / "v3.csv", newer[::-1]))
    assert (again.members_added, again.unchanged) == (0, 4)


def test_a_member_added_by_handle_alone_is_the_person_whose_name_suggests_it(workspace, tmp_path):
    add_member(workspace, "ana.lima")
    add_member(workspace, "jose", "José")
    rows = [("ML-1", "Ana Lima"), ("ML-2", "Jose")]
    result = import_jira(workspace, export(tmp_path / "team.csv", rows))
    assert result.members_added == 1
    assert handles_by_name(workspace) == {"Ana Lima": "ana.lima", "José": "jose", "Jose": "jose-2"}
    assert assignees(workspace) == {"ML-1": "ana.lima", "ML-2": "jose-2"}


def test_two_jira_accounts_with_one_name_are_refused_not_merged(workspace, tmp_path):
    rows = [("ML-1", "Wang Wei#1"), ("ML-2", "Li Na#2"), ("ML-3", "Wang Wei#3")]
    with pytest.raises(UserError) as refused:
        import_jira(workspace, export(tmp_path / "team.csv", rows, ids=True))
    assert refused.value.message == (
        f"{tmp_path / 'team.csv'}: rows 2 and 4 are assigned to two different Jira accounts both "
        "named 'Wang Wei'; give one of them another display name in Jira and export again"
    )
    assert list_stories(workspace) == [] and list_members(workspace) == []
    same = [("ML-1", "Wang Wei#1"), ("ML-2", "Wang Wei#1")]
    assert import_jira(workspace, export(tmp_path / "ok.csv", same, ids=True)).members_added == 1


def test_a_name_that_two_members_share_is_refused(workspace, tmp_path):
    add_member(workspace, "wang", "Wang Wei")
    add_member(workspace, "wei", "Wang Wei")
    with pytest.raises(UserError, match=r"'Wang Wei' is the name of several members \(wang, wei\)"):
        import_jira(workspace, export(tmp_path / "team.csv", [("ML-1", "Wang Wei")]))
    assert list_stories(workspace) == []
