"""Data: pipelines, drift and alerts."""
