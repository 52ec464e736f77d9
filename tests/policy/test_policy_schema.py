"""policy/schema.json: a valid JSON Schema that accepts both bundled policies, and that agrees
with the loader on keys and limits (the two are written by hand; this keeps them in step)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extras; three calls
import pytest
import yaml
from policy_testing import FIXTURES, NEWEST, OLDER, POLICY_DIR, SCHEMA

from escalations.policy import limits, load, load_policy_file

SCHEMA_DOC = json.loads(SCHEMA.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA_DOC)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA_DOC)


@pytest.mark.parametrize("path", [NEWEST, OLDER], ids=["newest", "older"])
def test_bundled_policies_validate_against_the_schema(path: Path) -> None:
    errors = [e.message for e in VALIDATOR.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def test_schema_and_loader_agree_on_the_fixtures() -> None:
    """Fixtures the schema can judge alone (shape only) get the same verdict from both."""
    shape_only = [
        "valid-minimal.yaml",
        "warnings.yaml",
        "error-unknown-key.yaml",
        "error-missing-key.yaml",
        "error-no-responders.yaml",
        "error-bad-username.yaml",
        "error-wrong-type.yaml",
        "error-duplicate-reference.yaml",
        "error-unsupported-format.yaml",
        "error-bad-topic-key.yaml",
    ]
    for name in shape_only:
        document = yaml.safe_load((FIXTURES / name).read_text())
        assert VALIDATOR.is_valid(document) == load_policy_file(FIXTURES / name).ok, name


def _properties(schema: dict[str, Any]) -> dict[str, bool]:
    required = set(schema.get("required", []))
    return {key: key in required for key in schema["properties"]}


def test_keys_match_the_loader() -> None:
    defs = SCHEMA_DOC["$defs"]
    assert _properties(SCHEMA_DOC) == dict(load.POLICY_KEYS)
    assert _properties(defs["role"]) == dict(load.ROLE_KEYS)
    assert _properties(defs["role"]["properties"]["members"]["items"]) == dict(load.MEMBER_KEYS)
    assert _properties(defs["topic"]) == dict(load.TOPIC_KEYS)
    tip = SCHEMA_DOC["properties"]["response_tips"]["items"]
    assert _properties(tip) == dict(load.TIP_KEYS)


def test_limits_match_the_loader() -> None:
    props, defs = SCHEMA_DOC["properties"], SCHEMA_DOC["$defs"]
    assert props["format_version"]["const"] == limits.FORMAT_VERSION
    assert props["topics"]["maxItems"] == limits.MAX_TOPICS
    assert props["roles"]["maxItems"] == limits.MAX_ROLES
    assert props["response_tips"]["maxItems"] == limits.MAX_RESPONSE_TIPS
    assert defs["role"]["properties"]["members"]["maxItems"] == limits.MAX_MEMBERS_PER_ROLE
    assert defs["roleList"]["maxItems"] == limits.MAX_ROLES_PER_LIST
    assert defs["name"]["maxLength"] == limits.MAX_NAME_CHARS
    assert defs["title"]["maxLength"] == limits.MAX_TITLE_CHARS
    assert defs["text"]["maxLength"] == limits.MAX_TEXT_CHARS
    description = defs["topic"]["properties"]["description"]
    assert description["maxLength"] == limits.MAX_DESCRIPTION_CHARS
    assert defs["username"]["pattern"] == f"^{limits.USERNAME_PATTERN.pattern}$"
    assert set(defs["username"]["not"]["enum"]) == limits.RESERVED_USERNAMES
    assert defs["topic"]["properties"]["key"]["pattern"] == f"^{limits.TOPIC_KEY_PATTERN.pattern}$"


def test_readme_limits_table_matches() -> None:
    readme = (POLICY_DIR / "README.md").read_text()
    assert f"| whole document | {limits.MAX_POLICY_BYTES // 1024} KiB |" in readme
    assert f"counted anywhere in the text | {limits.MAX_BRACKET_DEPTH} |" in readme
    counts = (
        f"| {limits.MAX_TOPICS} / {limits.MAX_ROLES} / {limits.MAX_MEMBERS_PER_ROLE} / "
        f"{limits.MAX_RESPONSE_TIPS} |"
    )
    assert counts in readme
    for value in (limits.MAX_ROLES_PER_LIST, limits.MAX_NAME_CHARS, limits.MAX_TITLE_CHARS):
        assert re.search(rf"\| {value}( characters)? \|", readme), value
    assert f"| {limits.MAX_DESCRIPTION_CHARS:,} characters |" in readme
    assert f"| {limits.MAX_TEXT_CHARS:,} characters |" in readme
