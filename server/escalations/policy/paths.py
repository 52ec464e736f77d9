"""Where the bundled policy files live.

The plugin bundle and a source checkout share one layout: ``policy/`` beside ``server/`` at the
plugin root, and this package at ``server/escalations/policy/``. The path is derived from this
file, never from the working directory (the server starts the plugin with cwd = plugin root,
tests and the CLI may run anywhere).
"""

from __future__ import annotations

from pathlib import Path

BUNDLED_POLICY_NAME = "community-response.yaml"  # the newest policy: the product's default
PREVIOUS_POLICY_NAME = "community-escalations.yaml"  # the older policy, kept for diff and tests


def policy_dir() -> Path:
    """The plugin's ``policy/`` directory."""
    return Path(__file__).resolve().parents[3] / "policy"


def bundled_policy_path() -> Path:
    """Path of the bundled default policy, ``policy/community-response.yaml``."""
    return policy_dir() / BUNDLED_POLICY_NAME
