"""The pure engine: route, may_engage, diff."""

from __future__ import annotations

import pytest
from policy_testing import fixture, load, newest, older

from escalations.policy import (
    Member,
    Policy,
    Role,
    Topic,
    UnknownTopic,
    diff,
    may_engage,
    route,
)
from escalations.policy.errors import PolicyError


def make_policy(
    roles: dict[str, list[str]], topics: dict[str, tuple[list[str], list[str]]]
) -> Policy:
    return Policy(
        format_version=1,
        version="v",
        title="t",
        source="",
        channel_name="community-escalations",
        non_sensitive_guidance="",
        response_tips=(),
        roles=tuple(
            Role(name, tuple(Member(u, u.title()) for u in users)) for name, users in roles.items()
        ),
        topics=tuple(
            Topic(key, key.title(), key, tuple(responders), tuple(loop_in), None)
            for key, (responders, loop_in) in topics.items()
        ),
    )


def test_unknown_topic_lists_valid_keys() -> None:
    with pytest.raises(UnknownTopic) as caught:
        route(newest(), "gdpr")
    assert isinstance(caught.value, PolicyError)
    assert caught.value.key == "gdpr"
    assert caught.value.valid_keys == newest().topic_keys
    assert str(caught.value).startswith('unknown topic "gdpr"; valid topics: privacy-telemetry, ')


def test_people_are_deduplicated_first_occurrence_wins_order_kept() -> None:
    policy = make_policy(
        {"A": ["ann", "bob"], "B": ["bob", "cat"], "C": ["cat", "dan"]},
        {"t": (["A", "B"], ["C", "A"])},
    )
    routing = route(policy, "t")
    assert [m.username for m in routing.responders] == ["ann", "bob", "cat"]
    assert [m.username for m in routing.loop_in] == ["dan"]
    assert routing.default_owner == Member("ann", "Ann")


def test_default_owner_skips_empty_leading_roles() -> None:
    policy = make_policy({"Empty": [], "B": ["bob"]}, {"t": (["Empty", "B"], [])})
    owner = route(policy, "t").default_owner
    assert owner is not None and owner.username == "bob"


def test_no_people_means_no_default_owner() -> None:
    policy = make_policy({"Empty": []}, {"t": (["Empty"], ["Empty"])})
    routing = route(policy, "t")
    assert routing.responders == () and routing.loop_in == () and routing.default_owner is None


def test_template_response_is_carried() -> None:
    policy = load(fixture("valid-minimal.yaml"))
    assert route(policy, "illicit-use").template_response == (
        "We do not discuss individual cases in public."
    )
    assert route(policy, "licensing").template_response is None


def test_may_engage_only_approved_responders() -> None:
    policy = newest()
    assert may_engage(policy, "nirosha.ruwan", "illicit-use")
    assert may_engage(policy, "kendra.neidziejko", "illicit-use")
    assert not may_engage(policy, "ian.tien", "illicit-use")  # loop-in only
    assert not may_engage(policy, "jason.blais", "illicit-use")
    assert may_engage(policy, "jason.blais", "privacy-telemetry")


def test_may_engage_tolerates_at_sign_and_case() -> None:
    assert may_engage(newest(), "@Nirosha.Ruwan", "illicit-use")


def test_may_engage_unknown_topic_is_false() -> None:
    assert not may_engage(newest(), "ian.tien", "no-such-topic")


def test_may_engage_differs_between_versions() -> None:
    assert may_engage(older(), "ken.olofsen", "illicit-use")
    assert not may_engage(newest(), "ken.olofsen", "illicit-use")


def test_policy_topic_lookup() -> None:
    policy = newest()
    topic = policy.topic("licensing")
    assert topic is not None and topic.title == "Licensing"
    assert policy.topic("nope") is None


def test_policy_is_frozen_and_comparable() -> None:
    a = load(fixture("valid-minimal.yaml"))
    with pytest.raises(AttributeError):
        a.title = "x"  # type: ignore[misc]  # the point: assigning a frozen field raises
    assert a == make_policy_like(a)
    assert hash(a) == hash(make_policy_like(a))


def make_policy_like(policy: Policy) -> Policy:
    return Policy(
        format_version=policy.format_version,
        version=policy.version,
        title=policy.title,
        source=policy.source,
        channel_name=policy.channel_name,
        non_sensitive_guidance=policy.non_sensitive_guidance,
        response_tips=policy.response_tips,
        roles=policy.roles,
        topics=policy.topics,
    )


# -- diff --------------------------------------------------------------------------------


def test_diff_of_identical_policies_is_empty() -> None:
    change = diff(newest(), newest())
    assert change.is_empty and change.changes == ()
    assert str(change) == "No changes."


def test_diff_older_to_newest() -> None:
    changes = diff(older(), newest()).changes
    assert changes[:2] == (
        'Version changes from "2019-community-escalations" to "2020-community-response".',
        'Title changes from "Community Escalations Policy" to "Community response policy".',
    )
    expected = [
        "Role removed: CPO, held by @chandar.venkatamaran (Chandar Venkatamaran).",
        "Role added: CRO, held by nobody.",
        "Role Lead PM: @lindsay.brock (Lindsay Brock) removed.",
        "Topic illicit-use: approved-responder roles change from Head of Community, VP Marketing, "
        "CEO to VP Legal, CFO.",
        "Topic illicit-use: new approved responders: @nirosha.ruwan (Nirosha Ruwan), "
        "@kendra.neidziejko (Kendra Neidziejko).",
        "Topic illicit-use: no longer approved responders: @jason.blais (Jason Blais), "
        "@ken.olofsen (Ken Olofsen), @ian.tien (Ian Tien).",
        "Topic illicit-use: newly looped in: @ian.tien (Ian Tien).",
        "Topic illicit-use: no longer looped in: @aneal.vallurupalli (Aneal Vallurupalli).",
        "Topic illicit-use: default owner changes from @jason.blais (Jason Blais) to "
        "@nirosha.ruwan (Nirosha Ruwan).",
        'Escalation team changes from "private-core" to (not stated).',
        "The response-writing tips change (0 before, 6 after).",
    ]
    for line in expected:
        assert line in changes
    # topics present in both are never reported as added or removed
    assert not any(line.startswith(("Topic added", "Topic removed")) for line in changes)


def test_diff_reports_topics_and_members() -> None:
    old = make_policy({"A": ["ann"], "B": ["bob"]}, {"t": (["A"], []), "gone": (["A"], [])})
    new = make_policy({"A": ["ann", "cat"], "C": ["cy"]}, {"t": (["A"], ["C"]), "new": (["C"], [])})
    assert diff(old, new).changes == (
        "Role removed: B, held by @bob (Bob).",
        "Role A: @cat (Cat) added.",
        "Role added: C, held by @cy (Cy).",
        'Topic removed: "Gone" (gone).',
        "Topic t: loop-in roles change from none to C.",
        "Topic t: new approved responders: @cat (Cat).",
        "Topic t: newly looped in: @cy (Cy).",
        'Topic added: "New" (new).',
    )


def test_diff_is_directional() -> None:
    forward = diff(older(), newest()).changes
    backward = diff(newest(), older()).changes
    assert forward != backward
    assert len(forward) == len(backward)
