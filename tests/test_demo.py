"""`mlboard demo`: built once from the sample team with real MLflow runs, then reused."""

from __future__ import annotations

from datetime import date

import pytest

from mlboard.config import Settings
from mlboard.services.demo import ensure_demo
from mlboard.services.evidence import story_evidence
from mlboard.services.experiments import list_model_versions
from mlboard.services.workspace import open_workspace

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    (folder / ".mlboard.db.partial").write_text("left by an interrupted build")
    settings = Settings(database="unused", database_origin="test", actor="tester")
    built = ensure_demo(folder, settings, TODAY)
    workspace = open_workspace(Settings(str(built.database), "test", actor="tester"))
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


def test_a_second_run_reuses_the_demo(demo):
    built, _ = demo
    again = ensure_demo(built.folder, Settings("unused", "test"), TODAY)
    assert (again.created, again.database) == (False, built.database)


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
