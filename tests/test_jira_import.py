"""Importing real Jira exports: all or nothing, and again without duplicates."""

from __future__ import annotations

import shutil

import pytest

from mlboard.errors import UserError
from mlboard.services.jira_import import import_jira
from mlboard.services.members import list_members
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
