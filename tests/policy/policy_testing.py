"""Shared helpers for the policy tests: paths of the bundled files and fixtures, loaders."""

from __future__ import annotations

import functools
from pathlib import Path

from escalations.policy import Policy, bundled_policy_path, load_policy_file

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "policy"
NEWEST = POLICY_DIR / "community-response.yaml"
OLDER = POLICY_DIR / "community-escalations.yaml"
SCHEMA = POLICY_DIR / "schema.json"
FIXTURES = REPO / "tests" / "fixtures" / "policy"

assert bundled_policy_path() == NEWEST


@functools.cache
def load(path: Path) -> Policy:
    """Load a policy that must be valid (cached: policies are immutable)."""
    result = load_policy_file(path)
    assert result.ok, [str(e) for e in result.errors]
    assert result.policy is not None
    return result.policy


def newest() -> Policy:
    return load(NEWEST)


def older() -> Policy:
    return load(OLDER)


def fixture(name: str) -> Path:
    return FIXTURES / name
