"""Governance: Definition-of-Done gates, sensitivity, evidence, model cards, the audit trail."""
