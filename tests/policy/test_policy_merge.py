"""Approved templates written into a policy's text: only the template values change, the result
loads as the same policy with those templates, and the diff shows exactly that."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalations.policy import load_policy_text
from escalations.policy.merge import MergeError, merge_templates, unified_diff

ROOT = Path(__file__).resolve().parents[2]
NEWER = (ROOT / "policy" / "community-response.yaml").read_text(encoding="utf-8")
OLDER = (ROOT / "policy" / "community-escalations.yaml").read_text(encoding="utf-8")

TRICKY = [
    "To be added",
    "one line: with a colon # and a hash",
    "Thanks {name}!\nSee {link}\n\n  indented line\nlast",
    "ends with a newline\n",
    "\"quoted\" and 'single' and `code` and ```fences```",
    "trailing spaces   \nsecond",
    "- looks like a list\n- item",
    "null",
    "yes",
    "123",
    "tab\there and unicode é ✓ 🎉",
    "control \x85 next line \u2028 separator",
    "key: value\ntopics: []",
    "   leading spaces",
]


def topic_templates(text: str) -> dict[str, str | None]:
    result = load_policy_text(text)
    assert result.ok and result.policy is not None, result.errors
    return {t.key: t.template_response for t in result.policy.topics}


@pytest.mark.parametrize("template", TRICKY)
@pytest.mark.parametrize("source", [NEWER, OLDER], ids=["newer", "older"])
def test_any_text_round_trips_and_nothing_else_changes(source: str, template: str) -> None:
    merged = merge_templates(source, {"licensing": template, "illicit-use": template})
    before, after = topic_templates(source), topic_templates(merged)
    stripped = template.strip()  # as the policy holds every text
    assert after["licensing"] == stripped and after["illicit-use"] == stripped
    assert {k: v for k, v in after.items() if k not in ("licensing", "illicit-use")} == {
        k: v for k, v in before.items() if k not in ("licensing", "illicit-use")
    }
    changed = [
        line
        for line in unified_diff(source, merged, "p.yaml").splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    removed = [line for line in changed if line.startswith("-")]
    assert removed == ["-    template_response: null"] * 2
    assert all("template_response" in line or line[:2] in ("+ ", "+") for line in changed)


def test_the_file_comments_and_layout_stay() -> None:
    merged = merge_templates(NEWER, {"licensing": "See the licensing FAQ."})
    assert merged.splitlines()[0] == NEWER.splitlines()[0]
    assert merged.count("\n") == NEWER.count("\n")
    assert "    template_response: See the licensing FAQ.\n" in merged


def test_a_topic_without_the_key_gets_one() -> None:
    text = NEWER.replace("    template_response: null\n", "", 1)
    first_key = topic_templates(NEWER)
    merged = merge_templates(text, {next(iter(first_key)): "Added\nin two lines"})
    assert topic_templates(merged)[next(iter(first_key))] == "Added\nin two lines"


def test_an_existing_block_template_is_replaced() -> None:
    block = merge_templates(NEWER, {"licensing": "first\nsecond\n"})
    again = merge_templates(block, {"licensing": "third"})
    assert topic_templates(again)["licensing"] == "third"
    assert topic_templates(block)["licensing"] == "first\nsecond"
    assert "first" not in again and "second" not in again


def test_flow_style_topics() -> None:
    text = (
        "format_version: 1\nversion: v\ntitle: T\nroles:\n  - {name: R, members: "
        "[{username: ann.lee, display_name: Ann}]}\ntopics:\n"
        "  - {key: one, title: One, description: d, approved_responders: [R]}\n"
        "  - {key: two, title: Two, description: d, approved_responders: [R], "
        "template_response: old}\n"
    )
    merged = merge_templates(text, {"one": 'new "one"\nline', "two": "new: two"})
    assert topic_templates(merged) == {"one": 'new "one"\nline', "two": "new: two"}


def test_an_unknown_topic_changes_nothing() -> None:
    assert merge_templates(NEWER, {"no-such-topic": "x"}) == NEWER
    assert unified_diff(NEWER, NEWER, "p.yaml") == ""


def test_an_invalid_policy_is_refused() -> None:
    with pytest.raises(MergeError):
        merge_templates("topics: [", {"licensing": "x"})
    with pytest.raises(MergeError):
        merge_templates("format_version: 1\n", {"licensing": "x"})
    with pytest.raises(MergeError):
        merge_templates(NEWER, {"licensing": "  \n "})


def test_the_diff_names_the_file() -> None:
    merged = merge_templates(NEWER, {"licensing": "Hello"})
    diff = unified_diff(NEWER, merged, "community-response.yaml")
    assert diff.startswith("--- a/community-response.yaml\n+++ b/community-response.yaml\n")
    assert "-    template_response: null\n+    template_response: Hello\n" in diff
