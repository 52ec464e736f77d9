"""The two bundled policies: they load, say what the documents say, and route all 18 pairs."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_testing import NEWEST, OLDER, load, newest, older

from escalations.policy import load_policy_file, route

TOPIC_KEYS = (
    "privacy-telemetry",
    "product-gdpr",
    "licensing",
    "packaging",
    "workplace-policies",
    "security-vulnerabilities",
    "illicit-use",
    "marketing-gdpr",
    "government-data-request",
)

# (file, topic) -> (responders, loop_in); the default owner is the first responder and every
# template response is null ("To be added") in both documents.
ROUTES = {
    (NEWEST, "privacy-telemetry"): (
        ["jason.blais", "katie.wiersgalla", "corey.hulen", "ian.tien"],
        [],  # CEO is already a responder; CRO has nobody
    ),
    (NEWEST, "product-gdpr"): (
        ["daniel.schalla", "nirosha.ruwan", "chen-i.lim", "ian.tien"],
        ["katie.wiersgalla", "kendra.neidziejko"],
    ),
    (NEWEST, "licensing"): (["jason.blais", "ian.tien"], []),
    (NEWEST, "packaging"): (["katie.wiersgalla", "chen-i.lim", "corey.hulen"], ["ian.tien"]),
    (NEWEST, "workplace-policies"): (["natalie.jew", "nirosha.ruwan"], []),
    (NEWEST, "security-vulnerabilities"): (
        ["daniel.schalla", "katie.wiersgalla", "corey.hulen"],
        ["ian.tien", "chen-i.lim", "kendra.neidziejko"],
    ),
    (NEWEST, "illicit-use"): (["nirosha.ruwan", "kendra.neidziejko"], ["ian.tien"]),
    (NEWEST, "marketing-gdpr"): (["nirosha.ruwan", "kendra.neidziejko", "ian.tien"], []),
    (NEWEST, "government-data-request"): (["nirosha.ruwan", "ian.tien"], []),
    (OLDER, "privacy-telemetry"): (
        ["jason.blais", "lindsay.brock", "katie.wiersgalla", "chandar.venkatamaran", "ian.tien"],
        [],
    ),
    (OLDER, "product-gdpr"): (
        [
            "jason.blais",
            "lindsay.brock",
            "katie.wiersgalla",
            "aneal.vallurupalli",
            "chandar.venkatamaran",
            "ian.tien",
        ],
        [],
    ),
    (OLDER, "licensing"): (["jason.blais", "lindsay.brock", "katie.wiersgalla", "ian.tien"], []),
    (OLDER, "packaging"): (["lindsay.brock", "katie.wiersgalla", "chandar.venkatamaran"], []),
    (OLDER, "workplace-policies"): (["natalie.jew", "aneal.vallurupalli"], []),
    (OLDER, "security-vulnerabilities"): (
        ["jason.blais", "daniel.schalla", "katie.wiersgalla", "chris.overton"],
        [],  # all three loop-in roles are approved responders too
    ),
    (OLDER, "illicit-use"): (["jason.blais", "ken.olofsen", "ian.tien"], ["aneal.vallurupalli"]),
    (OLDER, "marketing-gdpr"): (
        ["jason.blais", "ken.olofsen", "aneal.vallurupalli", "ian.tien"],
        [],
    ),
    (OLDER, "government-data-request"): (["aneal.vallurupalli", "ian.tien"], []),
}


def test_table_covers_all_18_pairs() -> None:
    assert len(ROUTES) == 18
    assert {key for _, key in ROUTES} == set(TOPIC_KEYS)


@pytest.mark.parametrize(("path", "key"), list(ROUTES), ids=[f"{p.stem}:{k}" for p, k in ROUTES])
def test_route(path: Path, key: str) -> None:
    responders, loop_in = ROUTES[(path, key)]
    routing = route(load(path), key)
    assert routing.topic.key == key
    assert [m.username for m in routing.responders] == responders
    assert [m.username for m in routing.loop_in] == loop_in
    assert routing.default_owner is not None
    assert routing.default_owner.username == responders[0]
    assert routing.template_response is None


@pytest.mark.parametrize("path", [NEWEST, OLDER], ids=["newest", "older"])
def test_topic_keys_are_the_fixed_keys_in_document_order(path: Path) -> None:
    assert load(path).topic_keys == TOPIC_KEYS


def test_newest_metadata() -> None:
    policy = newest()
    assert policy.format_version == 1
    assert policy.version == "2020-community-response"
    assert policy.title == "Community response policy"
    assert "000_255f8113b6fa0c17.txt" in policy.source
    assert policy.channel_name == "community-escalations"
    assert policy.channel_team is None
    assert policy.channel_visibility is None
    assert policy.last_updated is None  # "Last updated" with no date
    assert policy.non_sensitive_guidance.startswith("Non-sensitive topics include feature requests")
    assert "@jason.blais" in policy.responder_signup


def test_newest_response_tips_are_data() -> None:
    titles = [tip.title for tip in newest().response_tips]
    assert titles == [
        "Don't make false promises or assumptions",
        "Choose positivity over negativity",
        "Do your best to link documentation as answers",
        "Keep community end user information secure",
        "Be thankful",
        "Do not focus on opinions",
    ]
    secure = newest().response_tips[3]
    assert "IP address" in secure.text and "hide revision" in secure.text


def test_newest_roles_as_written() -> None:
    policy = newest()
    assert [r.name for r in policy.roles] == [
        "CEO",
        "CTO",
        "CFO",
        "VP Product",
        "VP HR",
        "VP Legal",
        "Lead PM",
        "Head of Security",
        "Dr. Program Management",  # sic
        "Security PM",
        "CRO",  # named by topics, mapped to nobody
    ]
    cro = policy.role("CRO")
    assert cro is not None and cro.members == ()
    chen = policy.role("VP Product")
    assert chen is not None and chen.members[0].username == "chen-i.lim"
    assert chen.members[0].display_name == "Chen-i Lim"
    for name in ("Lead PM", "Security PM"):
        role = policy.role(name)
        assert role is not None and [m.username for m in role.members] == ["katie.wiersgalla"]


def test_older_metadata_and_roles() -> None:
    policy = older()
    assert policy.version == "2019-community-escalations"
    assert policy.title == "Community Escalations Policy"
    assert policy.channel_name == "community-escalations"
    assert policy.channel_team == "private-core"
    assert policy.channel_visibility == "public"  # "This channel is public"
    assert policy.response_tips == ()
    assert "community-guidelines" in policy.non_sensitive_guidance
    lead = policy.role("Lead PM")
    assert lead is not None
    assert [m.username for m in lead.members] == ["lindsay.brock", "katie.wiersgalla"]
    for name in ("VP Finance", "Head of Legal"):
        role = policy.role(name)
        assert role is not None and [m.username for m in role.members] == ["aneal.vallurupalli"]


def test_newest_check_output() -> None:
    result = load_policy_file(NEWEST)
    assert result.ok and result.errors == ()
    assert [(w.path, w.code) for w in result.warnings] == [
        ("roles[10].members", "empty-role"),
        ("topics[0].loop_in", "redundant-loop-in"),
        ("topics[1].loop_in", "redundant-loop-in"),
        ("topics[6].loop_in", "redundant-loop-in"),
        ("topics[7].loop_in", "redundant-loop-in"),
        ("topics[8].loop_in", "redundant-loop-in"),
    ]
    cro = result.warnings[0].message
    assert cro == (
        'role "CRO" has no members; topics that lose an approved responder: product-gdpr, '
        "licensing; topics that lose a loop-in: privacy-telemetry, packaging"
    )


def test_older_check_output() -> None:
    result = load_policy_file(OLDER)
    assert result.ok
    assert [(w.path, w.code) for w in result.warnings] == [
        ("roles[3]", "unused-role"),
        ("topics[0].loop_in", "redundant-loop-in"),
        ("topics[1].loop_in", "redundant-loop-in"),
        ("topics[5].loop_in", "redundant-loop-in"),
        ("topics[6].loop_in", "redundant-loop-in"),
        ("topics[7].loop_in", "redundant-loop-in"),
        ("topics[8].loop_in", "redundant-loop-in"),
    ]
    assert str(result.warnings[0]) == (
        f'{OLDER}: roles[3]: role "VP Finance" (Aneal Vallurupalli) is not used by any topic'
    )
    security = result.warnings[3].message
    assert security.startswith('"Head of Security", "Security PM", "VP Eng" are also approved')
    assert security.endswith("nobody is looped in")


def test_illicit_use_lists_vp_legal_in_loop_in_as_written() -> None:
    topic = newest().topic("illicit-use")
    assert topic is not None
    assert topic.approved_responders == ("VP Legal", "CFO")
    assert topic.loop_in == ("VP Legal", "CEO")  # faithful; route() drops the repeat


def test_usernames_follow_first_dot_last() -> None:
    for policy in (newest(), older()):
        for role in policy.roles:
            for member in role.members:
                expected = ".".join(member.display_name.lower().split(" ", 1))
                assert member.username == expected
