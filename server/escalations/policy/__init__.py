"""Escalation policy: model, loader/validator, pure engine."""
