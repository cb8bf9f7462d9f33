"""The runs the sample team's stories did: which models, on which data, by whom and when.

Each function logs one experiment's runs through a `_DemoWriter` (`run_writer`): ML-2's
snapshot and ML-5's churn models, ML-3's and ML-17's fraud models with ML-19's sweep, ML-28's
recommenders, and the untagged smoke tests. The times are in the sample's own calendar; the
writer moves them like the board. What they add up to is described in `runs`' docstring.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from mlboard.demo.run_writer import _DemoWriter, _Job
from mlboard.demo.training import (
    Training,
    popularity_baseline,
    train_logistic,
    train_mlp,
    train_two_tower,
)
from mlboard.demo.training_data import (
    CHURN_V2_FEATURES,
    FRAUD_V4_FEATURES,
    Dataset,
    Interactions,
    make_churn_data,
    make_fraud_data,
    make_interactions,
)


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible stream per dataset or run: adding a run changes no other."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode("utf-8"))])


def _logistic(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "logistic_regression", "optimizer": "gd", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_logistic(data, rng, **settings), params)


def _mlp(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "mlp", "optimizer": "adam", "activation": "relu", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_mlp(data, rng, **settings), params)


def _two_tower(data: Interactions, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "two_tower", "optimizer": "adam", **settings}
    params |= {"members": data.members, "items": data.items, "train_pairs": len(data.train)}
    return _Job(lambda: train_two_tower(data, rng, **settings), params)


def log_sample_runs(writer: _DemoWriter, seed: int) -> None:
    """Every experiment's runs, in the order the builder has always logged them."""
    _churn_runs(writer, seed)
    _fraud_runs(writer, seed)
    _recs_runs(writer, seed)
    _scratch_runs(writer, seed)


def _churn_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-2's snapshot, ML-5's four runs (the champion among them), an untagged notebook run."""
    data = make_churn_data(rng_for(seed, "churn-data"))
    snapshot = {"row_count": float(data.rows), "label_rate": round(data.label_rate, 4)}
    writer.run(
        "churn-v3",
        "q3-churn-snapshot",
        _Job(lambda: Training({}, snapshot), {"window": "2026-07..2026-09", "label": "churn_30d"}),
        user="tomasz",
        started="2026-10-07T09:40:00Z",
        epoch_seconds=0,
        source="pipelines/churn_snapshot.py",
        story="ML-2",
    )
    regions = tuple(f for f in data.features if f.startswith("region_"))
    feature_sets = {
        "v2": data.select(CHURN_V2_FEATURES + regions),  # no engagement features, raw tenure
        "v3": data.select(f for f in data.features if f != "tenure_months"),
    }
    ml5 = [
        writer.run(
            "churn-v3",
            name,
            _logistic(
                feature_sets[features],
                rng_for(seed, name),
                learning_rate=lr,
                l2=l2,
                epochs=40,
            ),
            user="ana",
            started=started,
            epoch_seconds=40,
            source="train_churn.py",
            story="ML-5",
        )
        for name, started, features, lr, l2 in (
            ("churn-v2-features-baseline", "2026-10-07T13:20:00Z", "v2", 1.0, 1e-2),
            ("churn-v3-l2-0.3", "2026-10-08T10:05:00Z", "v3", 1.0, 0.3),
            ("churn-v3-l2-0.01", "2026-10-08T14:30:00Z", "v3", 1.0, 1e-2),
            ("churn-v3-l2-0", "2026-10-09T11:15:00Z", "v3", 1.0, 0.0),
        )
    ]
    writer.run(  # Ana forgot the tag: the Experiments screen links it by hand
        "churn-v3",
        "calibration-check",
        _logistic(feature_sets["v3"], rng_for(seed, "calibration"), learning_rate=1.0, l2=1e-2,
                  epochs=30),
        user="ana",
        started="2026-10-12T15:10:00Z",
        epoch_seconds=40,
        source="notebooks/churn_calibration.ipynb",
    )  # fmt: skip
    ranked = sorted(ml5, key=lambda run: run.last("val_auc"), reverse=True)
    writer.register(
        "churn-classifier",
        "Churn v3: probability that a member cancels within 30 days (ML-5).",
        sorted(ranked[:2], key=lambda run: run.start_ms),
        "champion",
        ranked[0],
        registered="2026-10-13T16:50:00Z",  # Ana, just before she moves ML-5 to review
    )


def _fraud_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-3's spike (the overfitting MLP), ML-17's runs, ML-19's class-weight sweep."""
    # ML-3, Sprint 21: a development sample (legitimate payments subsampled to ~10% fraud) with
    # sparse merchant ids, which a big unregularised network memorises.
    dev = make_fraud_data(rng_for(seed, "fraud-dev"), n=2000, fraud_rate=0.1, merchants=150)
    for name, started, job in (
        ("sparse-logreg-baseline", "2026-10-06T10:30:00Z",
         _logistic(dev, rng_for(seed, "sparse-logreg"), learning_rate=1.0, l2=1e-2, epochs=40)),
        ("sparse-mlp-256", "2026-10-07T14:00:00Z",
         _mlp(dev, rng_for(seed, "sparse-mlp"), hidden_units=256, learning_rate=1e-3, l2=0.0,
              epochs=40, batch_size=64)),
    ):  # fmt: skip
        job.params["dataset"] = "dev-sample-10pct"
        writer.run(
            "fraud-v5",
            name,
            job,
            user="zoe",
            started=started,
            epoch_seconds=30,
            source="spikes/sparse_features.py",
            story="ML-3",
        )

    # ML-17 and ML-19, Sprint 22: twelve months of payments, ~1.7% labelled fraud, one split.
    data = make_fraud_data(rng_for(seed, "fraud-data"))
    v4 = data.select(FRAUD_V4_FEATURES)  # v4 had no device features
    ml17 = [
        writer.run(
            "fraud-v5",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=epoch_seconds,
            source="train_fraud.py",
            story="ML-17",
            system_gpus=2 if name == "fraud-v5-mlp-32" else 0,  # the MLP trained on 2 GPUs
        )
        for name, started, epoch_seconds, job in (
            ("fraud-v5-logreg-v4-features", "2026-10-19T15:30:00Z", 90,
             _logistic(v4, rng_for(seed, "v4"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-logreg", "2026-10-21T10:10:00Z", 110,
             _logistic(data, rng_for(seed, "v5"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-mlp-32", "2026-10-23T09:45:00Z", 240,
             _mlp(data, rng_for(seed, "v5-mlp"), hidden_units=32, learning_rate=2e-3, l2=1e-3,
                  epochs=25, batch_size=256)),
        )
    ]  # fmt: skip
    best = max(ml17, key=lambda run: run.last("val_pr_auc"))
    writer.register(
        "fraud-detector",
        "Fraud v5: probability that a card-not-present payment is fraud (ML-17).",
        [best],
        "challenger",
        best,
        registered="2026-10-27T16:30:00Z",  # Ana, just before she moves ML-17 to review
    )

    sweep = writer.start(
        "fraud-v5",
        "class-weight-sweep",
        user="zoe",
        started="2026-10-20T10:00:00Z",
        source="sweeps/class_weights.py",
        story="ML-19",
    )
    weights = (1, 5, 20, 50)
    children = [
        writer.run(
            "fraud-v5",
            f"class-weight-{weight}",
            _logistic(data, rng_for(seed, f"class-weight-{weight}"), learning_rate=0.5, l2=1e-4,
                      epochs=30, class_weight=weight),
            user="zoe",
            started=f"2026-10-20T{10 + index}:{2 + 7 * index:02d}:00Z",
            epoch_seconds=80,
            source="sweeps/class_weights.py",
            parent=sweep,
            gpus_tag=3,  # the sweep's cluster logs no system metrics: the driver tags its jobs
        )
        for index, weight in enumerate(weights)
    ]  # fmt: skip
    winner_index = max(range(len(children)), key=lambda i: children[i].last("val_pr_auc"))
    winner = children[winner_index]
    end_ms = writer.at("2026-10-20T14:10:00Z")
    writer.log(
        sweep,
        [writer.metric(key, winner.last(key), end_ms, 0) for key in ("val_pr_auc", "val_auc")],
        {
            "model_type": "logistic_regression",
            "class_weights": ",".join(map(str, weights)),
            "best_class_weight": weights[winner_index],
        },
    )
    writer.finish(sweep, "FINISHED", end_ms)


def _recs_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-28: the popularity bar, two two-tower models and one that diverged (FAILED)."""
    data = make_interactions(rng_for(seed, "interactions"))
    popularity = _Job(
        lambda: popularity_baseline(data),
        {"model_type": "popularity", "members": data.members, "items": data.items},
    )
    for name, started, job in (
        ("popularity-baseline", "2026-11-05T11:00:00Z", popularity),
        ("two-tower-d16-l2-1.5e-3", "2026-11-06T13:40:00Z",
         _two_tower(data, rng_for(seed, "d16-a"), embedding_dim=16, learning_rate=0.05,
                    l2=1.5e-3, epochs=20, cosine_decay=True)),
        ("two-tower-sgd-warmup", "2026-11-10T10:20:00Z",
         _two_tower(data, rng_for(seed, "sgd"), embedding_dim=32, learning_rate=400.0, l2=0.0,
                    epochs=20, optimizer="sgd", warmup_epochs=5)),
        ("two-tower-d16-l2-1e-3", "2026-11-12T14:15:00Z",
         _two_tower(data, rng_for(seed, "d16-b"), embedding_dim=16, learning_rate=0.05, l2=1e-3,
                    epochs=20, cosine_decay=True)),
    ):  # fmt: skip
        writer.run(
            "recs-two-tower",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=420,
            source="train_two_tower.py",
            story="ML-28",
            gpus_tag=None if job is popularity else 4,
        )


def _scratch_runs(writer: _DemoWriter, seed: int) -> None:
    """Kwame's smoke trainings after the CUDA 12.4 image rebuild (ML-14), never tagged."""
    for name, started, data in (
        ("smoke-churn-cuda12.4", "2026-10-06T09:20:00Z",
         make_churn_data(rng_for(seed, "churn-smoke"), n=2000)),
        ("smoke-fraud-cuda12.4", "2026-10-06T09:50:00Z",
         make_fraud_data(rng_for(seed, "fraud-smoke"), n=4000)),
    ):  # fmt: skip
        job = _logistic(data, rng_for(seed, name), learning_rate=1.0, l2=1e-3, epochs=5)
        job.params["image"] = "training:cuda12.4"
        writer.run(
            "scratch",
            name,
            job,
            user="kwame",
            started=started,
            epoch_seconds=15,
            source="smoke_test.py",
        )
