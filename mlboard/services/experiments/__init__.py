"""Experiments: MLflow sync, links to stories, runs, histories, comparisons, models, compute."""
