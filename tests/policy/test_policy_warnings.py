"""Warnings: the policy loads, and the admin is told what needs attention."""

from __future__ import annotations

from policy_testing import fixture

from escalations.policy import load_policy_file, load_policy_text, route


def test_each_warning_kind() -> None:
    path = fixture("warnings.yaml")
    result = load_policy_file(path)
    assert result.ok and result.policy is not None
    assert [(w.path, w.code) for w in result.warnings] == [
        ("roles[2].members", "empty-role"),
        ("roles[3]", "unused-role"),
        ("topics[1].approved_responders", "no-responder-people"),
        ("topics[0].loop_in", "redundant-loop-in"),
        ("roles[1].members[0].display_name", "display-name-mismatch"),
        ("topics[0].template_response", "placeholder-template"),
    ]
    assert all(w.source == str(path) for w in result.warnings)
    empty, unused, nobody, redundant, mismatch, placeholder = (w.message for w in result.warnings)
    assert empty == (
        'role "Nobody" has no members; topics that lose an approved responder: packaging; '
        "topics that lose a loop-in: licensing"
    )
    assert unused == 'role "Finance" (Alan Turing) is not used by any topic'
    assert "nobody can engage" in nobody and "no default owner" in nobody
    assert redundant.startswith('"Legal" is also an approved responder of "licensing"')
    assert redundant.endswith("nobody is looped in")
    assert mismatch == '"ada.lovelace" is called "Ada King" here but "Ada Lovelace" elsewhere'
    assert '"To be added" looks like a placeholder' in placeholder


def test_warned_policy_still_routes() -> None:
    policy = load_policy_file(fixture("warnings.yaml")).policy
    assert policy is not None
    routing = route(policy, "packaging")
    assert routing.responders == () and routing.default_owner is None
    licensing = route(policy, "licensing")
    # first occurrence wins: ada.lovelace keeps the display name of the role listed first
    assert [(m.username, m.display_name) for m in licensing.responders] == [
        ("ada.lovelace", "Ada Lovelace"),
        ("grace.hopper", "Grace Hopper"),
    ]
    assert licensing.loop_in == ()


def test_empty_unused_role_is_reported_once_as_unused() -> None:
    text = fixture("valid-minimal.yaml").read_text() + ""
    text = text.replace("roles:\n", "roles:\n  - name: Spare\n    members: []\n", 1)
    result = load_policy_text(text)
    assert [(w.path, w.code) for w in result.warnings] == [("roles[0]", "unused-role")]
    assert result.warnings[0].message == 'role "Spare" (nobody) is not used by any topic'


def test_no_warnings_when_there_are_errors() -> None:
    result = load_policy_file(fixture("error-many.yaml"))
    assert result.errors and result.warnings == ()
