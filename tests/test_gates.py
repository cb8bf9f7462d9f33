"""The Definition of Done as data: gated moves, checklist items, and the rules from config."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select, update

from mlboard.config import load_settings
from mlboard.errors import UserError
from mlboard.services.audit import audit_entries
from mlboard.services.gates import check_item, story_gates
from mlboard.services.linking import link_run
from mlboard.services.members import add_member
from mlboard.services.stories import (
    apply_changes,
    create_story,
    edit_story,
    find_story,
    get_story,
    move_story,
    step_story,
    story_history,
)
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database
from mlboard.store.tables import ChecklistItem, Member, Run

from cli_runs import mlboard_in, trust_config
from processes import child_env

BACKENDS = ("sqlite", "postgresql")  # the gate runs inside the move's transaction: check both
SENSITIVE = "model_card, bias_evaluation, privacy_review, approval by someone other than @ana"


def as_member(ws: Workspace, handle: str) -> Workspace:
    """The same board, acted on by someone else (a second person at their own terminal)."""
    return dataclasses.replace(ws, actor=handle)


@pytest.fixture
def team(workspace):
    add_member(workspace, "ana", name="Ana Souza")
    add_member(workspace, "bob", name="Bob Lee")
    return workspace


def model_story(ws: Workspace, **fields: str) -> str:
    values = {"kind": "model", "sensitivity": "personal", "assignee": "ana", "status": "review"}
    return create_story(ws, "Ship churn model", {**values, **fields}).key


def add_run(ws: Workspace, run_id: str, metrics: dict[str, float]) -> None:
    """A mirrored run, as a sync leaves it (sync itself is covered by test_sync)."""
    with ws.writing() as session:
        session.add(
            Run(run_id=run_id, tracking_uri="sqlite:///elsewhere.db", experiment_id="1",
                experiment_name="churn", run_name=run_id, status="FINISHED", user="ana",
                start_time=ws.now(), end_time=ws.now(), metrics=metrics, synced_at=ws.now())
        )  # fmt: skip


def refusal(action) -> UserError:
    with pytest.raises(UserError) as info:
        action()
    return info.value


def test_a_gated_move_is_refused_with_every_missing_item_and_nothing_changes(team):
    key = model_story(team)
    check_item(team, key, "bias_evaluation", note="parity within 2 points across age bands")
    before = (get_story(team, key), story_history(team, key), len(audit_entries(team)))

    error = refusal(lambda: move_story(team, key, "done"))

    assert error.exit_code == 3
    assert error.message == (
        f"cannot move {key} to done: missing model_card, privacy_review, "
        "approval by someone other than @ana"
    )
    assert (get_story(team, key), story_history(team, key), len(audit_entries(team))) == before
    assert get_story(team, key).status == "review"


def test_once_every_item_is_checked_with_a_second_members_approval_the_move_succeeds(team, clock):
    ana, bob = as_member(team, "ana"), as_member(team, "bob")
    key = model_story(team)
    check_item(ana, key, "model_card", link="https://wiki/churn-card")
    check_item(ana, key, "bias-evaluation", note="fairlearn report")  # dashes are accepted
    check_item(ana, key, "privacy_review", note="DPIA-42 signed off")
    clock.advance(hours=1)
    check_item(bob, key, "approval", note="LGTM")

    report = story_gates(team, key)
    assert report.may_move_to_done and report.missing == []
    approval = next(gate for gate in report.gates if gate.item == "approval")
    assert (approval.by, approval.at, approval.note) == ("bob", clock.current, "LGTM")
    assert move_story(ana, key, "done").status == "done"

    checked = [e for e in audit_entries(team, story=key) if e.entity == "checklistitem"]
    assert [(e.actor, e.after["item"]) for e in checked] == [
        ("ana", "model_card"),
        ("ana", "bias_evaluation"),
        ("ana", "privacy_review"),
        ("bob", "approval"),
    ]
    assert [e.new for e in story_history(team, key) if e.field == "checklist"][-1] == "approval"


def test_the_assignee_cannot_approve_their_own_story(team):
    key = model_story(team)
    error = refusal(lambda: check_item(as_member(team, "ana"), key, "approval"))
    assert error.exit_code == 2
    assert "someone other than its assignee @ana" in error.message
    with team.reading() as session:
        assert session.exec(select(func.count()).select_from(ChecklistItem)).one() == 0


def test_an_approval_stops_counting_when_the_approver_becomes_the_assignee(team):
    key = model_story(team)
    for item in ("model_card", "bias_evaluation", "privacy_review"):
        check_item(team, key, item)
    check_item(as_member(team, "bob"), key, "approval")
    error = refusal(lambda: edit_story(team, key, {"assignee": "bob", "status": "done"}))
    assert (
        error.message == f"cannot move {key} to done: missing approval by someone other than @bob"
    )


def test_only_an_active_member_of_the_board_can_approve(team):
    key = model_story(team)
    error = refusal(lambda: check_item(as_member(team, "@Carol"), key, "approval", note="ok"))
    assert (error.exit_code, error.message) == (
        2,
        "@Carol is not a member of this board: only members can approve (mlboard member list)",
    )
    with team.reading() as session:
        assert session.exec(select(func.count()).select_from(ChecklistItem)).one() == 0
    check_item(as_member(team, "carol"), key, "model_card")  # other items: anyone may check
    assert check_item(as_member(team, "@Bob"), key, "approval").by == "@Bob"


def test_an_approval_stops_counting_when_the_approver_leaves_the_board(team):
    key = model_story(team)
    for item in ("model_card", "bias_evaluation", "privacy_review"):
        check_item(team, key, item)
    check_item(as_member(team, "bob"), key, "approval", note="LGTM")
    assert story_gates(team, key).may_move_to_done
    with team.writing() as session:
        session.exec(update(Member).where(Member.handle == "bob").values(active=False))

    assert (
        "approval by someone other than @ana"
        in refusal(lambda: move_story(team, key, "done")).message
    )
    approval = next(gate for gate in story_gates(team, key).gates if gate.item == "approval")
    assert (approval.done, approval.by) == (False, "bob")
    assert approval.note == "checked by bob, not an active member; needs a member"
    assert (
        "not a member"
        in refusal(lambda: check_item(as_member(team, "bob"), key, "approval")).message
    )


def test_the_boards_move_keys_are_gated_too(team):
    key = model_story(team)
    error = refusal(lambda: step_story(team, key, 1))
    assert (error.exit_code, error.message) == (
        3,
        f"cannot move {key} to done: missing {SENSITIVE}",
    )
    assert get_story(team, key).status == "review"


def test_sensitive_items_apply_only_to_the_configured_kinds_and_levels(team):
    internal = model_story(team, sensitivity="internal")
    research = create_story(team, "Read papers", {"kind": "research", "sensitivity": "personal"})
    assert move_story(team, internal, "done").status == "done"
    assert move_story(team, research.key, "done").status == "done"


def test_an_experiment_needs_a_linked_run(team):
    key = create_story(team, "Try LightGBM", {"kind": "experiment"}).key
    error = refusal(lambda: move_story(team, key, "done"))
    assert error.message == f"cannot move {key} to done: missing linked_run"
    assert "not checked by hand" in refusal(lambda: check_item(team, key, "linked_run")).message

    add_run(team, "run-1", {"val_auc": 0.8})
    link_run(team, key, "run-1", write_tag=False)
    gate = story_gates(team, key).gates[0]
    assert (gate.item, gate.done, gate.by, gate.note) == (
        "linked_run",
        True,
        "tester",
        "1 run: run-1",
    )
    assert move_story(team, key, "done").status == "done"


def test_a_target_not_met_needs_an_accepted_below_target_decision_with_a_reason(team):
    key = create_story(team, "Tune churn", {"kind": "experiment", "target": "val_auc >= 0.9"}).key
    add_run(team, "run-1", {"val_auc": 0.85})
    link_run(team, key, "run-1", write_tag=False)

    error = refusal(lambda: move_story(team, key, "done"))
    assert error.message == (
        f"cannot move {key} to done: missing target_met (val_auc >= 0.9; best 0.85) "
        "or accepted_below_target with a reason"
    )
    no_reason = refusal(lambda: check_item(team, key, "accepted_below_target"))
    assert no_reason.exit_code == 2 and "needs --note" in no_reason.message

    check_item(team, key, "accepted_below_target", note="0.85 beats the rules engine by 9 points")
    gate = story_gates(team, key).gates[-1]
    assert gate.done and gate.note == (
        "accepted below target (best 0.85): 0.85 beats the rules engine by 9 points"
    )
    assert move_story(team, key, "done").status == "done"


def test_a_met_target_passes_its_gate(team):
    key = create_story(team, "Tune churn", {"kind": "experiment", "target": "val_auc >= 0.9"}).key
    add_run(team, "run-1", {"val_auc": 0.93})
    link_run(team, key, "run-1", write_tag=False)
    assert story_gates(team, key).gates[-1].note == "best val_auc = 0.93 (run run-1)"
    assert move_story(team, key, "done").status == "done"


def test_checking_rechecking_and_removing_items(team, clock):
    key = model_story(team)
    check_item(team, key, "model_card", note="draft")
    clock.advance(hours=2)
    check_item(team, key, "model_card", note="final", link="runs:/abc/model_card.md")
    [item] = story_gates(team, key).checklist
    assert (item.note, item.link, item.at) == ("final", "runs:/abc/model_card.md", clock.current)
    assert check_item(team, key, "model_card", remove=True) is None
    assert story_gates(team, key).checklist == []
    assert (
        "has no model_card checked"
        in refusal(lambda: check_item(team, key, "model_card", remove=True)).message
    )
    unknown = refusal(lambda: check_item(team, key, "rollback_plan"))
    assert unknown.exit_code == 2 and "unknown checklist item 'rollback_plan'" in unknown.message


def test_moves_replayed_from_elsewhere_are_not_gated(team):
    """Jira imports and the sample team replay moves people made in another tool."""
    key = model_story(team)
    with team.writing() as session:
        apply_changes(session, team, find_story(session, key), {"status": "done"})
    assert get_story(team, key).status == "done"


# --- the rules come from [tool.mlboard.done] ----------------------------------------------------

CUSTOM = """
database = "board.db"
user = "ana"

[done]
experiment_needs_run = false
sensitive_items = ["model_card", "approval"]

[done.kinds]
deploy = ["rollback_plan"]
"""


@pytest.fixture
def configured(tmp_path, clock):
    (tmp_path / "mlboard.toml").write_text(CUSTOM)
    trust_config(tmp_path / "mlboard.toml")  # it sets the database and the user
    settings = load_settings(cwd=tmp_path, environ={})
    ws = Workspace(open_database(settings.database), settings, clock)
    add_member(ws, "ana", name="Ana Souza")
    yield ws
    ws.close()


def test_a_team_adds_items_per_kind_and_turns_rules_off(configured):
    rules = configured.settings.done
    assert (rules.experiment_needs_run, rules.sensitive_items) == (
        False,
        ("model_card", "approval"),
    )
    deploy = create_story(configured, "Roll out churn v2", {"kind": "deploy"}).key
    error = refusal(lambda: move_story(configured, deploy, "done"))
    assert error.message == f"cannot move {deploy} to done: missing rollback_plan"
    check_item(configured, deploy, "rollback_plan", link="https://runbooks/churn")
    assert move_story(configured, deploy, "done").status == "done"

    experiment = create_story(configured, "Try CatBoost", {"kind": "experiment"}).key
    assert move_story(configured, experiment, "done").status == "done"

    model = model_story(configured)
    error = refusal(lambda: move_story(configured, model, "done"))
    assert error.message == (
        f"cannot move {model} to done: missing model_card, approval by someone other than @ana"
    )


def test_the_defaults_apply_without_a_done_table(tmp_path):
    rules = load_settings(cwd=tmp_path, environ={}).done
    assert rules.sensitive_kinds == ("deploy", "model")
    assert rules.sensitive_levels == ("personal", "special_category")
    assert rules.sensitive_items == ("model_card", "bias_evaluation", "privacy_review", "approval")
    assert (rules.experiment_needs_run, rules.target_needs_met_or_accepted) == (True, True)
    assert dict(rules.kinds) == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[done]\nsign_off = true\n", "unknown setting 'done.sign_off'"),
        ('[done]\nexperiment_needs_run = "yes"\n', "'done.experiment_needs_run' must be a true"),
        ('[done]\nsensitive_kinds = "model"\n', "'done.sensitive_kinds' must be a list"),
        ('[done]\nsensitive_levels = ["secret"]\n', "'done.sensitive_levels' has 'secret'"),
        ('[done.kinds]\nrollout = ["plan"]\n', "'done.kinds' has 'rollout', which is not a story"),
        ('[done.kinds]\ndeploy = ["Rollback Plan"]\n', "item names are snake_case"),
        ('[done]\nsensitive_items = ["target_met"]\n', "which the board decides from runs"),
        ("done = 3\n", "'done' must be a table"),
    ],
)
def test_mistakes_in_the_done_table_name_the_file_and_key(tmp_path, table, message):
    config = tmp_path / "mlboard.toml"
    config.write_text(table)
    with pytest.raises(UserError) as info:
        load_settings(cwd=tmp_path, environ={})
    assert str(config) in info.value.message and message in info.value.message


# --- the command line ---------------------------------------------------------------------------


def mlboard(tmp_path: Path, *args: str, user: str = "ana") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", str(tmp_path / "cli.db"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=child_env(tmp_path, MLBOARD_USER=user),
        check=False,
    )


def test_a_refused_move_exits_3_with_one_line_naming_every_missing_item(tmp_path):
    for args in (
        ("member", "add", "ana"),
        ("member", "add", "bob"),
        ("story", "add", "Ship churn", "--kind", "deploy", "--sensitivity",
         "special_category", "--assignee", "ana", "--status", "review"),
    ):  # fmt: skip
        assert mlboard(tmp_path, *args).returncode == 0
    moved = mlboard(tmp_path, "story", "move", "ML-1", "done")
    assert (moved.returncode, moved.stdout) == (3, "")
    assert moved.stderr == f"error: cannot move ML-1 to done: missing {SENSITIVE}\n"

    own = mlboard(tmp_path, "story", "check", "ML-1", "approval")
    assert own.returncode == 2 and "someone other than its assignee @ana" in own.stderr
    stranger = mlboard(tmp_path, "story", "check", "ML-1", "approval", user="carol")
    assert (stranger.returncode, stranger.stderr) == (
        2,
        "error: carol is not a member of this board: only members can approve "
        "(mlboard member list)\n",
    )
    assert mlboard(tmp_path, "story", "check", "ML-1", "approval", user="bob").returncode == 0


def test_story_gates_json_and_story_show_keys(tmp_path, monkeypatch):
    run = mlboard_in(tmp_path, monkeypatch, user="bob").ok
    run("member", "add", "ana")
    run("member", "add", "bob")
    run("story", "add", "Ship", "--kind", "model", "--sensitivity", "personal", "--assignee", "ana")
    run("story", "check", "ML-1", "approval", "--note", "LGTM", "--link", "https://pr/7")
    data = json.loads(run("story", "gates", "ML-1", "--format", "json"))
    assert list(data) == [
        "key", "status", "assignee", "sensitivity_effective", "sensitivity_sources",
        "may_move_to_done", "missing", "gates", "checklist",
    ]  # fmt: skip
    assert data["may_move_to_done"] is False
    assert [gate["item"] for gate in data["gates"]] == [
        "model_card", "bias_evaluation", "privacy_review", "approval",
    ]  # fmt: skip
    approval = data["gates"][3]
    assert set(approval) == {"item", "required_because", "done", "by", "at", "note", "link"}
    assert (approval["done"], approval["by"], approval["note"]) == (True, "bob", "LGTM")
    assert approval["required_because"] == "model story with personal data (from story)"
    assert "may move to done" not in run("story", "gates", "ML-1")

    shown = json.loads(run("story", "show", "ML-1", "--format", "json"))
    assert (shown["sensitivity"], shown["sensitivity_effective"]) == ("personal", "personal")
    assert shown["sensitivity_sources"] == ["story"]
