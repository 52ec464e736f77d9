"""The escalation workflow."""
