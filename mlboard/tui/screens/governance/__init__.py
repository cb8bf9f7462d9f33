"""Governance: gates waiting for sign-off, checklists, model cards, the audit trail."""
