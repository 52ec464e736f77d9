"""Links, domains, addresses and logins at their edges, word for word: the allow-list and its
subdomains, what is a domain and what is code or a file name, where a link ends, spelled-out
addresses, logins after ``ssh``-like commands, and the edges of IPv4 and IPv6 addresses."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact

# Each case: what was typed, what the excerpt shows (the default allow-list: github.com, ...).
LINKS = [
    ("see münchen.xn--p1ai now", "see [domain] now"),  # a punycode top-level name
    ("see a.рф now", "see [domain] now"),
    ("see host.xn--p1ai/x now", "see [url] now"),
    ("see shop.xn--zz-invalid now", "see shop.xn--zz-invalid now"),  # no such name
    ("see github.com/a now", "see github.com/a now"),
    ("see gist.github.com/a now", "see gist.github.com/a now"),  # a subdomain of a public one
    ("see GITHUB.COM now", "see GITHUB.COM now"),
    ("see evilgithub.com/a now", "see [url] now"),
    ("see github.com.evil.org/a now", "see [url] now"),
    ("see https://github.com/a now", "see https://github.com/a now"),
    ("see https://jane:pw@github.com/a now", "see [url] now"),  # a password is never public
    ("see https://jane@github.com/x now", "see [url] now"),
    ("see https://a.example.com\\x now", "see [url] now"),
    ("see ftp://files.example.org now", "see [url] now"),
    ("see https://[2001:db8::1]:8080/x now", "see [url] now"),
    ("see http://example.com:8080 now", "see [url] now"),
    ("see example.com:8080 now", "see [domain] now"),
    ("see example.com:8080/x now", "see [url] now"),
    ("see example[.]com now", "see [domain] now"),
    # where a link ends: sentence punctuation and unopened brackets stay outside
    ("see (https://en.wikipedia.org/wiki/Foo_(bar)) now", "see ([url]) now"),
    ("see https://example.com/a). now", "see [url]). now"),
    ("see https://example.com/a] now", "see [url]] now"),
    ("see [x](https://example.com/a) now", "see [x]([url]) now"),
    ("see https://example.com/a?b=c, now", "see [url], now"),
    ("see https://example.com/{a} now", "see [url] now"),
    ("see https://example.com/a} now", "see [url]} now"),
    ("see https://example.com/a*_~ now", "see [url]*_~ now"),
    ("a example.com. b", "a [domain]. b"),
    ("(see https://example.com/a))", "(see [url]))"),
    ("see https://example.com/[a]] now", "see [url]] now"),
    ("see https://example.com/a}} now", "see [url]}} now"),
    ("see https://example.com/a... now", "see [url]... now"),
    ("x https://example.com/(a)b) y", "x [url]) y"),
    ("_chat.example.gg b", "_[domain] b"),
    # domains, and what only looks like one
    ("a db.internal b", "a [domain] b"),
    ("a src.main.py b", "a [domain] b"),  # a file suffix counts after two names
    ("a _chat.example.gg_ b", "a _[domain]_ b"),
    ("see https://a.example.com/x and b.example.org now", "see [url] and [domain] now"),
    # an address spelled out inside a link to a public site goes; the link stays
    ("see github.com/u/jane(at)example.com now", "see github.com/u/[email] now"),
]

NOT_DOMAINS = [
    "see https://github.com:443/x now",
    "see https://github.com./x now",
    "see github.com. now",
    "a user_id.example.com b",  # an identifier in code
    "a $scope.name b",
    "a user_id.name b",
    "a __init.example.com b",
    "a asp.net b",
    "a node.js b",
    "a localhost b",
    "a host.123 b",
    "a main.py b",
    "a my.name b",
    "a example.zz b",
]

ADDRESSES = [
    ("mail ?q=jane@example.com now", "mail ?q=[email] now"),
    ("mail a=b&c=jane@example.com now", "mail [email] now"),
    ("mail x/jane@example.com now", "mail [email] now"),
    ("mail ..jane@example.com now", "mail ..[email] now"),
    ("mail --jane@example.com now", "mail --[email] now"),
    ("mail **jane@example.com** now", "mail **[email]** now"),
    ("mail |jane@example.com| now", "mail |[email]| now"),
    ("mail pkg@1.x.rc1 now", "mail [email] now"),
    ("mail pkg@a.0.rc1 now", "mail [email] now"),
    ("mail x@foo.self now", "mail [email] now"),
    ("mail x@a.bc now", "mail [email] now"),
    ("mail x@host.a1 now", "mail [email] now"),
    ("mail jane@example.dev now", "mail [email] now"),  # "dev" ends versions only after numbers
    ("mail x@jane.example.org. now", "mail [email]. now"),
    # spelled out
    ("jane [at] example [dot] zz", "[email]"),
    ("jane (at) example.com", "[email]"),
    ("jane at example dot com", "[email]"),
    ("jane at mail dot example dot org", "[email]"),
    ("jane at nas dot local", "[email]"),
    ("jane {at} example {dot} com", "[email]"),
    ("jane <at> example <dot> com", "[email]"),
    ("jane [AT] example [DOT] com", "[email]"),
    ("write Jane AT Example DOT Com", "write [email]"),
    # logins after a command that opens a session, on the same line only
    ("ssh jane@db01\nsee bob@db02", "ssh [email]\nsee bob@db02"),
    ("x bob@db02 ssh jane@db01", "x bob@db02 ssh [email]"),
    ("scp -r ._jane@db01 x", "scp -r ._[email] x"),
    ("first\nssh jane@db01", "first\nssh [email]"),
    ("a\nb\nssh jane@db01 and\nbob@db02", "a\nb\nssh [email] and\nbob@db02"),
]

NOT_ADDRESSES = [
    "mail this@example.com now",
    "mail super@thing.com now",
    "mail Return@thing.com now",
    "mail pkg@1.0.rc1 now",
    "mail pkg@1.0.Final now",
    "mail pkg@2.3.beta4 now",
    "mail x@self.weight now",
    "mail x@this.zz now",
    "mail x@a.b now",
    "mail x@a.1b now",
    "mail pkg@1.2.3a now",
    "jane at example dot zz",  # spoken: a listed suffix is needed
    "look at this dot product",
    "x [at] self [dot] weight",  # spelled like x@self.weight, which is code
    "pkg [at] 1 [dot] 0 [dot] rc1",  # spelled like pkg@1.0.rc1, a version
    "ssh\njane@db01",
    "sshx jane@db01",
    "xssh jane@db01",
    "mossh jane@db01",
    "a.ssh jane@db01",
    "-ssh jane@db01",
]

IP_ADDRESSES = [
    ("see 10[.]0[.]0[.]1 now", "see [ip-address] now"),
    ("see 10(.)0(.)0(.)1 now", "see [ip-address] now"),
    ("ip 1.2.3.4.x", "ip [ip-address].x"),
    ("ip 1.2.3.45 x", "ip [ip-address] x"),
    ("ip 01.2.3.4 x", "ip [ip-address] x"),
    ("ip 255.255.255.255 x", "ip [ip-address] x"),
    ("ip 1.2.3.4:8080 x", "ip [ip-address] x"),
    ("ip 1.2.3.4/24 x", "ip [ip-address] x"),
    ("ip 1.2.3.4.", "ip [ip-address]."),
    ("ip x.1.2.3.4 x", "ip x.[ip-address] x"),
    ("v6 fe80::1%eth0 x", "v6 [ip-address] x"),
    ("v6 fe80::1%" + "a" * 40 + " x", "v6 [ip-address] x"),  # the zone is not the address
    ("a::1", "[ip-address]"),
    ("1::", "[ip-address]"),
    ("v6 :fe80::1 x", "v6 :[ip-address] x"),
    ("v6 x:fe80::1 x", "v6 x:[ip-address] x"),
    ("v6 2001:db8::1... x", "v6 [ip-address]... x"),
    ("v6 2001:db8::1: x", "v6 [ip-address]: x"),
    ("v6 IPv6:2001:db8::1 x", "v6 IPv6:[ip-address] x"),
    ("v6 a:b:2001:db8::1 x", "v6 [ip-address] x"),
    ("v6 1:2:3:4:5:6:7:8:9 x", "v6 1:[ip-address] x"),
    ("v6 ::ffff:10.0.0.1 x", "v6 [ip-address] x"),
    ("2001:db8::1 ok", "[ip-address] ok"),
    # a number that is no address does not stop the search for the ones after it
    ("a1.2.3.4 and 10.0.0.1", "a1.2.3.4 and [ip-address]"),
    ("1.2.3.4.5 and 10.0.0.1", "1.2.3.4.5 and [ip-address]"),
    ("1.2.3.4567 and 10.0.0.1", "1.2.3.4567 and [ip-address]"),
]

NOT_IP_ADDRESSES = [
    "ip 1.2.3.256 x",
    "ip 999.1.1.1 x",
    "ip 1.2.3.4.5 x",
    "ip 1.1.2.3.4 x",
    "ip a1.2.3.4 x",
    "v1.2.3.4 x",
    "a::b",
    "std::vector",
    "x::y::z",
    "::",
    "10:30:00",
    "v6 " + "1:" * 20 + "1 x",
    "v6 1:2:3:4:5:6:7:8:9:10:11 x",  # three starts are tried, no more
]


@pytest.mark.parametrize(("text", "expected"), LINKS + ADDRESSES + IP_ADDRESSES)
def test_redacted(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize("text", NOT_DOMAINS + NOT_ADDRESSES + NOT_IP_ADDRESSES)
def test_kept(text: str) -> None:
    assert redact(text, 500) == text


def test_a_public_domain_counts_with_its_subdomains_only() -> None:
    public = frozenset({"acme.org"})
    kept = "see acme.org and docs.acme.org/x and https://docs.acme.org/x now"
    assert redact(kept, 500, public) == kept
    look_alikes = "see notacme.org and acme.org.evil.net"
    assert redact(look_alikes, 500, public) == "see [domain] and [domain]"


def test_a_public_ipv6_host_is_read_inside_its_brackets() -> None:
    public = frozenset({"2001:db8::1"})
    for text in ("see https://[2001:db8::1]:8080/x now", "see https://[2001:db8::1]/x now"):
        assert redact(text, 500, public) == text
    assert redact("see https://[2001:db8::2]/x now", 500, public) == "see [url] now"
