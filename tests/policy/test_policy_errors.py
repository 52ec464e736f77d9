"""One test per error kind: the loader rejects the document and reports every problem at once,
each with its source and the path of the offending value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_testing import fixture

from escalations.policy import Issue, LoadResult, limits, load_policy_file, load_policy_text


def errors_of(result: LoadResult) -> list[tuple[str, str]]:
    assert not result.ok
    assert result.policy is None
    assert result.warnings == ()
    return [(e.path, e.code) for e in result.errors]


def messages(result: LoadResult) -> list[str]:
    return [str(e) for e in result.errors]


def minimal() -> dict[str, Any]:
    """A fresh copy of the minimal valid document, to break in one place."""
    document: dict[str, Any] = yaml.safe_load(fixture("valid-minimal.yaml").read_text())
    return document


class _PlainDumper(yaml.CSafeDumper):
    """Writes shared objects out in full: the loader refuses anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump(document: object) -> str:
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def load_doc(document: object) -> LoadResult:
    return load_policy_text(dump(document), source="test")


def test_minimal_fixture_is_valid() -> None:
    result = load_policy_file(fixture("valid-minimal.yaml"))
    assert result.ok and result.errors == () and result.warnings == ()


def test_unknown_key_with_suggestion() -> None:
    result = load_policy_file(fixture("error-unknown-key.yaml"))
    assert errors_of(result) == [("topics[0].loop_ins", "unknown-key")]
    assert messages(result) == [
        f'{fixture("error-unknown-key.yaml")}: topics[0].loop_ins: unknown key "loop_ins" '
        '(did you mean "loop_in"?)'
    ]


def test_missing_key() -> None:
    result = load_policy_file(fixture("error-missing-key.yaml"))
    assert errors_of(result) == [("topics[0]", "missing-key")]
    assert result.errors[0].message == 'missing required key "description"'


def test_duplicate_topic_key() -> None:
    result = load_policy_file(fixture("error-duplicate-topic.yaml"))
    assert errors_of(result) == [("topics[2].key", "duplicate-topic")]
    assert result.errors[0].message == 'topic "licensing" is defined twice (also topics[0])'


def test_topic_without_approved_responders() -> None:
    result = load_policy_file(fixture("error-no-responders.yaml"))
    assert errors_of(result) == [("topics[0].approved_responders", "no-responders")]


def test_null_approved_responders_is_the_same_error() -> None:
    document = minimal()
    document["topics"][0]["approved_responders"] = None
    assert errors_of(load_doc(document)) == [("topics[0].approved_responders", "no-responders")]


def test_unknown_role_has_the_documented_shape() -> None:
    path = fixture("error-unknown-role.yaml")
    result = load_policy_file(path)
    assert errors_of(result) == [
        ("topics[3].approved_responders[1]", "unknown-role"),
        ("topics[3].loop_in[0]", "unknown-role"),
    ]
    assert messages(result) == [
        f'{path}: topics[3].approved_responders[1]: unknown role "X"',
        f'{path}: topics[3].loop_in[0]: unknown role "VP Legl" (did you mean "VP Legal"?)',
    ]


def test_malformed_usernames() -> None:
    result = load_policy_file(fixture("error-bad-username.yaml"))
    assert errors_of(result) == [
        (f"roles[0].members[{i}].username", "bad-username") for i in range(4)
    ]
    upper, at, short, reserved = (e.message for e in result.errors)
    assert '"Ada.Lovelace"' in upper and "lowercase" in upper
    assert at == 'write the username without "@": "alan.turing"'
    assert '"al" is not a valid Mattermost username' in short
    assert "reserved" in reserved


@pytest.mark.parametrize("username", ["ian.tien", "chen-i.lim", "a_b", "abc", "a" * 22, "x1-2.3_4"])
def test_valid_usernames(username: str) -> None:
    document = minimal()
    document["roles"][0]["members"][0]["username"] = username
    assert load_doc(document).ok


@pytest.mark.parametrize("username", ["ab", "a" * 23, "1abc", "ian tien", "ian@tien", "élodie"])
def test_invalid_usernames(username: str) -> None:
    document = minimal()
    document["roles"][0]["members"][0]["username"] = username
    assert errors_of(load_doc(document)) == [("roles[0].members[0].username", "bad-username")]


def test_duplicate_member() -> None:
    result = load_policy_file(fixture("error-duplicate-member.yaml"))
    assert errors_of(result) == [("roles[0].members[2]", "duplicate-member")]
    assert result.errors[0].message == '"ada.lovelace" is listed twice (also roles[0].members[0])'


def test_wrong_types() -> None:
    result = load_policy_file(fixture("error-wrong-type.yaml"))
    assert errors_of(result) == [
        ("version", "wrong-type"),
        ("roles[0].members", "wrong-type"),
        ("topics[0].approved_responders", "wrong-type"),
    ]
    assert result.errors[0].message == "expected text, got a number (put it in quotes)"
    assert result.errors[1].message == "expected a list, got text"


def test_document_that_is_not_a_mapping() -> None:
    result = load_policy_text("- a\n- b\n", source="override")
    assert errors_of(result) == [("", "wrong-type")]
    assert str(result.errors[0]) == (
        "override: expected a mapping (key: value) for the document, got a list"
    )


def test_duplicate_role_case_insensitively() -> None:
    result = load_policy_file(fixture("error-duplicate-role.yaml"))
    assert errors_of(result) == [("roles[1].name", "duplicate-role")]


def test_role_listed_twice_in_one_list() -> None:
    result = load_policy_file(fixture("error-duplicate-reference.yaml"))
    assert errors_of(result) == [("topics[0].approved_responders[1]", "duplicate-reference")]


def test_duplicate_yaml_key_is_not_silently_overwritten() -> None:
    result = load_policy_file(fixture("error-duplicate-key.yaml"))
    assert errors_of(result) == [("", "duplicate-key")]
    assert result.errors[0].message == 'line 14: key "loop_in" appears twice'


def test_yaml_syntax_error_has_a_line() -> None:
    result = load_policy_file(fixture("error-yaml-syntax.yaml"))
    assert errors_of(result) == [("", "yaml")]
    assert result.errors[0].message.startswith("line 4, column 6: not valid YAML")


def test_several_documents_are_refused() -> None:
    assert errors_of(load_policy_text("a: 1\n---\nb: 2\n")) == [("", "yaml")]


def test_aliases_are_refused() -> None:
    text = (
        fixture("valid-minimal.yaml")
        .read_text()
        .replace(
            "approved_responders: [Lead]", "approved_responders: &lead [Lead]\n    loop_in: *lead"
        )
    )
    text = text.replace("    loop_in: [Legal]\n", "", 1)
    result = load_policy_text(text)
    assert errors_of(result) == [("", "yaml")]
    assert "aliases are not allowed" in result.errors[0].message


def test_unsupported_format_version_is_reported_alone() -> None:
    result = load_policy_file(fixture("error-unsupported-format.yaml"))
    assert errors_of(result) == [("format_version", "unsupported-format")]


def test_format_version_must_be_a_number() -> None:
    document = minimal()
    document["format_version"] = "1"
    assert errors_of(load_doc(document)) == [("format_version", "wrong-type")]


def test_empty_texts() -> None:
    result = load_policy_file(fixture("error-empty-text.yaml"))
    assert errors_of(result) == [
        ("title", "empty-text"),
        ("roles[0].members[0].display_name", "empty-text"),
    ]


def test_bad_topic_key_channel_name_and_visibility() -> None:
    result = load_policy_file(fixture("error-bad-topic-key.yaml"))
    assert errors_of(result) == [
        ("channel_name", "bad-value"),
        ("channel_visibility", "bad-value"),
        ("topics[0].key", "bad-topic-key"),
    ]


def test_no_topics() -> None:
    document = minimal()
    document["topics"] = []
    assert errors_of(load_doc(document)) == [("topics", "no-topics")]


def test_empty_document() -> None:
    assert errors_of(load_policy_text("# nothing but a comment\n")) == [("", "empty-document")]


def test_every_error_is_reported_at_once() -> None:
    result = load_policy_file(fixture("error-many.yaml"))
    assert errors_of(result) == [
        ("titel", "unknown-key"),
        ("", "missing-key"),
        ("roles[0].members[0].username", "bad-username"),
        ("roles[0].members[2]", "duplicate-member"),
        ("topics[0].approved_responders[1]", "unknown-role"),
        ("topics[1].key", "duplicate-topic"),
        ("topics[1].approved_responders", "no-responders"),
    ]


# -- size limits -------------------------------------------------------------------------


def test_too_many_topics() -> None:
    document = minimal()
    topic = document["topics"][0]
    document["topics"] = [{**topic, "key": f"topic-{i}"} for i in range(limits.MAX_TOPICS + 1)]
    result = load_doc(document)
    assert errors_of(result) == [("topics", "too-many")]
    assert result.errors[0].message == f"too many entries (51; at most {limits.MAX_TOPICS})"


def test_too_many_members() -> None:
    document = minimal()
    document["roles"][0]["members"] = [
        {"username": f"user{i:03}", "display_name": f"User {i}"}
        for i in range(limits.MAX_MEMBERS_PER_ROLE + 1)
    ]
    assert errors_of(load_doc(document)) == [("roles[0].members", "too-many")]


def test_too_many_roles() -> None:
    document = minimal()
    document["roles"] += [{"name": f"Role {i}", "members": []} for i in range(limits.MAX_ROLES - 1)]
    assert errors_of(load_doc(document)) == [("roles", "too-many")]


def test_too_many_roles_in_a_list() -> None:
    document = minimal()
    names = [f"Role {i}" for i in range(limits.MAX_ROLES_PER_LIST + 1)]
    document["roles"] += [{"name": n, "members": []} for n in names]
    document["topics"][0]["loop_in"] = names
    assert errors_of(load_doc(document)) == [("topics[0].loop_in", "too-many")]


def test_text_too_long() -> None:
    document = minimal()
    document["topics"][1]["description"] = "x" * (limits.MAX_DESCRIPTION_CHARS + 1)
    result = load_doc(document)
    assert errors_of(result) == [("topics[1].description", "too-long")]
    assert result.errors[0].message == "too long (1001 characters; at most 1000)"


def test_document_too_large_is_refused_before_parsing(tmp_path: Path) -> None:
    big = "# " + "x" * limits.MAX_POLICY_BYTES + "\n"
    assert errors_of(load_policy_text(big)) == [("", "too-large")]
    path = tmp_path / "big.yaml"
    path.write_text(big)
    assert errors_of(load_policy_file(path)) == [("", "too-large")]


# -- files -------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = load_policy_file(path)
    assert errors_of(result) == [("", "cannot-read")]
    assert str(result.errors[0]).startswith(f"{path}: cannot read the file")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert errors_of(load_policy_file(path)) == [("", "not-utf8")]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + fixture("valid-minimal.yaml").read_bytes())
    assert load_policy_file(path).ok


def test_issue_str() -> None:
    assert str(Issue("f.yaml", "topics[3].approved_responders[1]", 'unknown role "X"')) == (
        'f.yaml: topics[3].approved_responders[1]: unknown role "X"'
    )
    assert str(Issue("f.yaml", "", "the document is empty")) == "f.yaml: the document is empty"


def test_text_source_defaults_and_can_be_named() -> None:
    assert load_policy_text("").errors[0].source == "<text>"
    assert load_policy_text("", source="System Console").errors[0].source == "System Console"


def test_deeply_nested_brackets_are_refused_without_crashing() -> None:
    deep = 100_000  # libyaml alone would crash the process (SIGSEGV) on this
    result = load_policy_text("topics: " + "[" * deep + "]" * deep)
    assert errors_of(result) == [("", "yaml")]
    assert result.errors[0].message == (
        f"line 1: brackets nested more than {limits.MAX_BRACKET_DEPTH} levels deep"
    )


def test_deep_block_nesting_within_the_size_limit_is_just_an_error() -> None:
    depth = 600  # about as deep as block indentation gets within MAX_POLICY_BYTES
    text = "\n".join(" " * i + "k:" for i in range(depth)) + "\n" + " " * depth + "v\n"
    assert len(text.encode()) <= limits.MAX_POLICY_BYTES
    assert errors_of(load_policy_text(text))[0] == ("k", "unknown-key")
