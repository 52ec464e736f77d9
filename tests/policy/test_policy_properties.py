"""Property tests: for any valid policy, routing mentions nobody twice, the default owner is the
first responder, loop-in and responders are disjoint, and the same input gives the same output.
Policies are generated as YAML documents and go through the real loader."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from escalations.policy import LoadResult, Policy, diff, load_policy_text, may_engage, route
from escalations.policy.engine import resolve_roles

# Small pools, so that roles share people and topics share roles: the interesting cases.
USERS = [f"user.{c}" for c in "abcdefghij"]
ROLES = [f"Role {c}" for c in "ABCDEFG"]
TOPIC_KEYS = ["licensing", "illicit-use", "packaging", "a", "b-c", "x-y-z", "t1", "t2"]
PROPERTIES = settings(max_examples=60, deadline=None)


class _PlainDumper(yaml.CSafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, object]:
    role_names = draw(
        st.lists(st.sampled_from(ROLES), min_size=1, max_size=len(ROLES), unique=True)
    )
    roles = [
        {
            "name": name,
            "members": [
                {"username": u, "display_name": u.replace(".", " ").title()}
                for u in draw(st.lists(st.sampled_from(USERS), max_size=5, unique=True))
            ],
        }
        for name in role_names
    ]
    role_lists = st.lists(st.sampled_from(role_names), max_size=5, unique=True)
    keys = draw(st.lists(st.sampled_from(TOPIC_KEYS), min_size=1, max_size=6, unique=True))
    topics = [
        {
            "key": key,
            "title": key.title(),
            "description": f"About {key}",
            "approved_responders": draw(
                st.lists(st.sampled_from(role_names), min_size=1, max_size=5, unique=True)
            ),
            "loop_in": draw(role_lists),
            "template_response": draw(st.none() | st.just("Thanks for asking.")),
        }
        for key in keys
    ]
    return {
        "format_version": 1,
        "version": "gen",
        "title": "Generated",
        "roles": roles,
        "topics": topics,
    }


def load(document: dict[str, object]) -> LoadResult:
    return load_policy_text(yaml.dump(document, Dumper=_PlainDumper, sort_keys=False))


def valid(document: dict[str, object]) -> Policy:
    result = load(document)
    assert result.ok, [str(e) for e in result.errors]
    assert result.policy is not None
    return result.policy


@PROPERTIES
@given(policy_documents())
def test_generated_policies_load(document: dict[str, object]) -> None:
    valid(document)


@PROPERTIES
@given(policy_documents())
def test_nobody_is_mentioned_twice(document: dict[str, object]) -> None:
    policy = valid(document)
    for key in policy.topic_keys:
        routing = route(policy, key)
        mentioned = [m.username for m in (*routing.responders, *routing.loop_in)]
        assert len(mentioned) == len(set(mentioned))


@PROPERTIES
@given(policy_documents())
def test_default_owner_is_the_first_responder(document: dict[str, object]) -> None:
    policy = valid(document)
    for key in policy.topic_keys:
        routing = route(policy, key)
        if routing.responders:
            assert routing.default_owner == routing.responders[0]
            assert may_engage(policy, routing.default_owner.username, key)
        else:
            assert routing.default_owner is None


@PROPERTIES
@given(policy_documents())
def test_loop_in_and_responders_are_disjoint(document: dict[str, object]) -> None:
    policy = valid(document)
    for key in policy.topic_keys:
        routing = route(policy, key)
        responders = {m.username for m in routing.responders}
        assert responders.isdisjoint(m.username for m in routing.loop_in)


@PROPERTIES
@given(policy_documents())
def test_routing_is_deterministic(document: dict[str, object]) -> None:
    """Two separate loads, one of them from the document with its mappings' keys re-ordered,
    route every topic alike (no dependence on dict or set order, nor on shared state)."""
    first = valid(document)
    text = yaml.dump(document, Dumper=_PlainDumper, sort_keys=True)
    reordered = load_policy_text(text)
    assert reordered.ok and reordered.policy is not None
    second = reordered.policy
    assert first is not second
    assert first == second
    for key in first.topic_keys:
        one, other = route(first, key), route(second, key)
        assert one is not other
        assert one == other
        assert [m.username for m in one.responders] == [m.username for m in other.responders]
        assert [m.username for m in one.loop_in] == [m.username for m in other.loop_in]
    assert diff(first, second).is_empty


@PROPERTIES
@given(policy_documents())
def test_routing_matches_the_roles_in_order(document: dict[str, Any]) -> None:
    """An independent oracle: walk the roles in order, keep the first occurrence of each person."""
    policy = valid(document)
    members = {r["name"]: [m["username"] for m in r["members"]] for r in document["roles"]}

    def people(names: list[str], skip: set[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            out += [u for u in members[name] if u not in out and u not in skip]
        return out

    for topic in document["topics"]:
        routing = route(policy, topic["key"])
        responders = people(topic["approved_responders"], set())
        assert [m.username for m in routing.responders] == responders
        assert [m.username for m in routing.loop_in] == people(topic["loop_in"], set(responders))
        assert resolve_roles(policy, topic["approved_responders"]) == routing.responders


@PROPERTIES
@given(policy_documents(), st.sampled_from(USERS))
def test_may_engage_is_membership_of_responders(document: dict[str, object], user: str) -> None:
    policy = valid(document)
    for key in policy.topic_keys:
        responders = {m.username for m in route(policy, key).responders}
        assert may_engage(policy, user, key) == (user in responders)


# Any YAML at all: the loader returns a result and never raises.
_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(_json_like)
def test_loader_never_raises_on_arbitrary_yaml(value: object) -> None:
    result = load_policy_text(yaml.dump(value, Dumper=_PlainDumper))
    assert not result.ok
    assert result.errors and all(str(e).startswith("<text>: ") for e in result.errors)


@settings(max_examples=100, deadline=None)
@given(policy_documents(), st.data())
def test_loader_never_raises_on_a_damaged_policy(
    document: dict[str, object], data: st.DataObject
) -> None:
    """Replace one value somewhere in a valid document by arbitrary data."""
    target: object = document
    while True:
        if isinstance(target, dict) and target:
            key = data.draw(st.sampled_from(sorted(target)))
        elif isinstance(target, list) and target:
            key = data.draw(st.integers(0, len(target) - 1))
        else:
            break
        if data.draw(st.booleans()):
            target[key] = data.draw(_json_like)
            break
        target = target[key]
    result = load(document)
    assert result.ok == (result.policy is not None)
    if result.policy is not None:
        for key in result.policy.topic_keys:
            route(result.policy, key)
