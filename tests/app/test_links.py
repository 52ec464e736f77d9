"""Links raised outside Mattermost: normalisation, refusals, ids and how a link is shown."""

from __future__ import annotations

import pytest

from escalations.app.domain import links
from escalations.app.domain.errors import InvalidLink, InvalidSummary
from escalations.app.domain.model import escalation_id
from escalations.app.domain.redact import DEFAULT_PUBLIC_DOMAINS

SAME_ISSUE = [
    "https://github.com/mattermost/mattermost/issues/1",
    "HTTPS://GitHub.com/mattermost/mattermost/issues/1",
    "https://github.com:443/mattermost/mattermost/issues/1/",
    "https://github.com/mattermost/mattermost/issues/1#issuecomment-42",
    "https://github.com/mattermost/mattermost/issues/1?utm_source=x&utm_medium=social",
    "https://github.com./mattermost/mattermost/issues/1?fbclid=abc",
    "<https://github.com/mattermost/mattermost/issues/1>",
    "  https://github.com/mattermost/mattermost/issues/1//  ",
]


@pytest.mark.parametrize("raw", SAME_ISSUE)
def test_the_same_page_normalises_to_one_link(raw: str) -> None:
    assert links.normalise(raw) == "https://github.com/mattermost/mattermost/issues/1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://Example.org:80/A/b?x=1&utm_id=2&y=3", "http://example.org/A/b?x=1&y=3"),
        ("http://example.org:8080/", "http://example.org:8080"),
        ("https://example.org:80/x", "https://example.org:80/x"),
        (
            "https://forum.example.org/t/topic?page=2&gclid=z",
            "https://forum.example.org/t/topic?page=2",
        ),
        ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("https://x.com/user/status/1?s=20&ref_src=twsrc", "https://x.com/user/status/1?s=20"),
    ],
)
def test_normalisation_keeps_what_names_the_page(raw: str, expected: str) -> None:
    assert links.normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "not a link"),
        ("github.com/org/repo", "not a link"),
        ("ftp://example.org/file", "Only http and https"),
        ("javascript://alert(1)", "Only http and https"),
        ("https://user:secret@github.com/org/repo", "user name and password"),
        ("https://github.com/a b", "spaces"),
        ("https://github.com/a\nb", "spaces"),
        ("https://localhost/x", "host name is not valid"),
        ("https://exa_mple.org/x", "host name is not valid"),
        ("https://[::1]/x", "host name is not valid"),
        ("https://github.com:99999/x", "not a valid link"),
        ("https://github.com/" + "a" * links.MAX_URL_CHARS, "longer than"),
    ],
)
def test_bad_links_are_refused_with_what_is_wrong(raw: str, says: str) -> None:
    with pytest.raises(InvalidLink) as refused:
        links.normalise(raw)
    assert says in refused.value.public


def test_ids_are_per_link_and_topic_and_never_a_posts() -> None:
    url = "https://github.com/org/repo/issues/1"
    first = links.link_escalation_id(url, "licensing")
    assert first == links.link_escalation_id(url, "licensing")
    assert first != links.link_escalation_id(url, "illicit-use")
    assert first != links.link_escalation_id(url + "2", "licensing")
    assert first != escalation_id(url, "licensing")
    assert len(first) == 26 and first.isalnum() and first.islower()


def test_public_links_are_shown_and_others_redacted() -> None:
    public = "https://github.com/org/repo/issues/1"
    assert links.shown(public, DEFAULT_PUBLIC_DOMAINS).text == public
    private = "https://chat.example.gg/team/pl/abc"
    assert links.shown(private, DEFAULT_PUBLIC_DOMAINS).text == "[url]"
    assert links.shown(public, frozenset()).text == "[url]"
    with_mail = "https://github.com/search?q=jane@example.org"
    assert "jane" not in links.shown(with_mail, DEFAULT_PUBLIC_DOMAINS).text


def test_summary_is_required_and_bounded() -> None:
    assert links.check_summary("  a leak report  ") == "a leak report"
    for bad in ("", "   ", "x" * (links.SUMMARY_MAX_CHARS + 1)):
        with pytest.raises(InvalidSummary):
            links.check_summary(bad)
