"""Persistence: SQLModel tables, the engine with its SQLite/PostgreSQL settings, and migrations."""
