"""Data: pipelines and their status, drift checks, alerts."""
