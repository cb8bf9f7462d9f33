"""Sprint and flow analytics: pure functions over story histories (no database, no UI)."""
