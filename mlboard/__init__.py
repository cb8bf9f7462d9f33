"""mlboard: a terminal sprint board for machine-learning teams."""

__version__ = "0.1.0"
