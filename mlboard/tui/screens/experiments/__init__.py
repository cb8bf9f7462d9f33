"""Experiments: the runs table, a run's view and runs compared."""
