"""`mlboard demo`: built once from the sample team with real MLflow runs, then reused.

Built on a Saturday and on a Monday, the days a demo dated by whole weeks from a Wednesday
used to show a sprint already over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from click.testing import Result
from sqlmodel import select
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.config import Settings
from mlboard.services.demo import ensure_demo
from mlboard.services.evidence import story_evidence
from mlboard.services.experiments import list_model_versions
from mlboard.services.planning import make_plan
from mlboard.services.standup import standup_digest
from mlboard.services.workspace import open_workspace
from mlboard.store.tables import Alert, DriftReport, PipelineRun, Run, Story, StoryEvent

BUILT_ON = {
    "saturday": datetime(2026, 11, 28, 10, 15, tzinfo=UTC),
    "monday": datetime(2026, 11, 30, 8, 40, tzinfo=UTC),
}


@pytest.fixture(scope="module")
def demo_config_home(tmp_path_factory):
    """The user config folder the demo was built with (where its config's trust is recorded)."""
    return tmp_path_factory.mktemp("demo-config-home")


@pytest.fixture(scope="module", params=sorted(BUILT_ON))
def built_on(request) -> datetime:
    return BUILT_ON[request.param]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_config_home, built_on):
    folder = tmp_path_factory.mktemp("demo")
    (folder / ".mlboard.db.partial").write_text("left by an interrupted build")
    settings = Settings(database="unused", database_origin="test", actor="tester", timezone="UTC")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(demo_config_home))
        built = ensure_demo(folder, settings, built_on)
    settings = Settings(str(built.database), "test", actor="tester", timezone="UTC")
    workspace = open_workspace(settings, clock=lambda: built_on)
    yield built, workspace
    workspace.close()


def test_the_demo_is_built_with_its_own_config(demo):
    built, _ = demo
    assert built.created
    config = (built.folder / "mlboard.toml").read_text()
    assert 'database = "mlboard.db"' in config
    assert f'tracking_uri = "sqlite:///{built.folder / "mlflow.db"}"' in config
    assert not list(built.folder.glob(".mlboard.db.partial*"))


def test_the_demo_runs_show_a_met_target_an_unmet_one_and_overfitting(demo):
    _, workspace = demo
    churn, fraud, spike = (story_evidence(workspace, key) for key in ("ML-5", "ML-17", "ML-3"))
    assert churn.target_met is True and churn.best_value >= 0.86
    assert fraud.target_met is False
    assert [w.kind for w in spike.warnings] == ["overfitting"]
    models = {(m.name, m.aliases) for m in list_model_versions(workspace) if m.aliases}
    assert ("churn-classifier", ("champion",)) in models


def test_a_second_run_reuses_the_demo(demo, built_on):
    built, _ = demo
    again = ensure_demo(built.folder, Settings("unused", "test"), built_on)
    assert (again.created, again.database) == (False, built.database)


def in_the_demo(built, monkeypatch, *args: str) -> Result:
    """`mlboard ARGS` run in the demo's folder, with no flag or variable naming a database."""
    monkeypatch.delenv("MLBOARD_DB", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.chdir(built.folder)
    return CliRunner().invoke(app, list(args))


def test_the_demo_config_is_trusted_as_mlboard_writes_it(demo, demo_config_home, monkeypatch):
    built, _ = demo
    monkeypatch.setenv("XDG_CONFIG_HOME", str(demo_config_home))
    where = in_the_demo(built, monkeypatch, "where").output
    assert f"database: {built.database} (from {built.folder / 'mlboard.toml'})" in where
    assert "trust:    trusted" in where
    listed = in_the_demo(built, monkeypatch, "story", "list", "--format", "json")
    assert listed.exit_code == 0 and "ML-1" in listed.output


def test_reusing_a_demo_trusts_its_config_only_while_it_is_as_mlboard_wrote_it(
    demo, built_on, monkeypatch
):
    """A demo built before trust was recorded gets it on reuse; an edited config does not."""
    built, _ = demo  # this test's own user config folder holds no trust yet
    refused = in_the_demo(built, monkeypatch, "init").exception
    assert "mlboard.toml sets database, tracking_uri;" in str(refused)
    config = built.folder / "mlboard.toml"
    written = config.read_bytes()
    try:
        config.write_bytes(written.replace(b"mlboard.db", b"elsewhere.db"))
        ensure_demo(built.folder, Settings("unused", "test"), built_on)
        refused = in_the_demo(built, monkeypatch, "init").exception
        assert "mlboard.toml sets database, tracking_uri;" in str(refused)
    finally:
        config.write_bytes(written)
    ensure_demo(built.folder, Settings("unused", "test"), built_on)
    assert "trust:    trusted" in in_the_demo(built, monkeypatch, "where").output


def test_the_demo_has_pipelines_a_failure_a_stale_one_and_drift(demo):
    from mlboard.services.alerts import list_alerts
    from mlboard.services.drift import list_drift_reports
    from mlboard.services.pipeline_status import pipeline_statuses

    _, workspace = demo
    statuses = {s.name: s for s in pipeline_statuses(workspace)}
    assert statuses["feature_store.backfill"].failures_in_row == 3
    assert statuses["card_transactions.hourly"].fresh is False
    assert statuses["crm_export.daily"].fresh is True
    report = list_drift_reports(workspace)[0]
    assert report.model == "churn-classifier"
    assert {c["name"] for c in report.columns if c["drifted"]} == {"monthly_charges", "plan"}
    assert {a.kind for a in list_alerts(workspace)} >= {"pipeline_failed", "pipeline_stale"}


def test_the_demo_is_in_its_sprint_with_working_days_left(demo, built_on):
    _, workspace = demo
    today = built_on.date()
    plan = make_plan(workspace).as_json()
    sprint = standup_digest(workspace).as_json()["sprint"]
    assert plan["state"] == "active"
    assert date.fromisoformat(plan["start"]) <= today < date.fromisoformat(plan["end"])
    assert sprint["days_left"] >= 5  # Saturday: next week's five; Monday: this week's
    assert plan["forecast"]["p_finish_sprint"] > 0
    assert isinstance(sprint["remaining_points"], float)


def test_nothing_in_the_demo_is_dated_after_it_was_built(demo, built_on):
    _, workspace = demo
    with workspace.reading() as session:
        moments = [
            *session.exec(select(StoryEvent.at)),
            *session.exec(select(Story.created_at)),
            *session.exec(select(Run.end_time)),
            *session.exec(select(PipelineRun.ended_at)),
            *session.exec(select(DriftReport.created_at)),
            *session.exec(select(Alert.opened_at)),
        ]
    assert moments and max(m for m in moments if m is not None) <= built_on


def test_model_versions_were_registered_after_their_runs_weeks_before_the_build(demo, built_on):
    _, workspace = demo
    versions = list_model_versions(workspace)
    with workspace.reading() as session:
        ended = dict(session.exec(select(Run.run_id, Run.end_time)).all())
    assert len(versions) == 3
    for version in versions:
        assert ended[version.run_id] < version.created_at < built_on
    days = {version.created_at.date() for version in versions}
    assert len(days) == 2 and built_on.date() not in days


def test_the_first_standup_reports_only_registrations_since_the_last_one(demo):
    """Registered weeks ago in the team's history, no version is news at the first standup."""
    _, workspace = demo
    digest = standup_digest(workspace)
    reported = [(item["name"], item["version"]) for item in digest.sections["ml"]["models"]]
    in_window = sorted(
        (version.name, version.version)
        for version in list_model_versions(workspace)
        if digest.window.holds(version.created_at)
    )
    assert reported == in_window == []
