"""Redaction of each kind of personal or secret data, and the length cap."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact

CASES = [
    ("server 10.0.0.12 is down", "server [ip-address] is down"),
    ("at 192.168.1.20:8065 now", "at [ip-address] now"),
    ("subnet 10.1.0.0/16 blocked", "subnet [ip-address] blocked"),
    ("v6 2001:db8::1 and fe80::1%eth0", "v6 [ip-address] and [ip-address]"),
    ("loopback ::1 only", "loopback [ip-address] only"),
    ("write to jane.doe+x@example.co.uk please", "write to [email] please"),
    ("see https://foo.example.com/a?b=c for more", "see [url] for more"),
    ("visit www.acme.org today", "visit [url] today"),
    ("our host db01.acme.internal failed", "our host [domain] failed"),
    ("we run mattermost.example.com", "we run [domain]"),
    ("call +1 415 555 0100 now", "call [phone] now"),
    ("call (415) 555-0100 now", "call [phone] now"),
    ("call +4915112345678", "call [phone]"),
    ("password=hunter2 ok", "password=[secret] ok"),
    ("api_key: 'abc def'", "api_key: [secret]"),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [secret]"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123", "token [secret]"),
    ("aws AKIAABCDEFGHIJKLMNOP", "aws [secret]"),
    ("jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "jwt [secret]"),
    ("key aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z", "key [secret]"),
    # adversarial forms that used to leak
    ("reach 2001:db8::1.", "reach [ip-address]."),
    ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334. Then", "full [ip-address]. Then"),
    ("only ::1.", "only [ip-address]."),
    ("ip:2001:db8::1 down", "ip:[ip-address] down"),
    ("IPv6:fe80::1%eth0 down", "IPv6:[ip-address] down"),
    ("listen 2001:db8::1: refused", "listen [ip-address]: refused"),
    ('mail "jane doe"@example.com now', "mail [email] now"),
    ("mail jürgen@exämple.de now", "mail [email] now"),
    ("mail o'neil!x@example.com now", "mail [email] now"),
    ("see example.com/users/jane.doe now", "see [url] now"),
    ("see forum.example.org?user=jane now", "see [url] now"),
    ("see docs.example.io#jane now", "see [url] now"),
    ("stripe sk_live_abcdefghijklmnopqrstuvwx", "stripe [secret]"),
    ("stripe pk_test_abcdef0123456789", "stripe [secret]"),
    ("npm npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm [secret]"),
    ("hf hf_abcdefghijklmnopqrstuvwxyzABCD", "hf [secret]"),
    ("aws ASIAIOSFODNN7EXAMPLE", "aws [secret]"),
    ("oauth ya29.a0AfH6SMBxabcdefghijklmnop", "oauth [secret]"),
    (
        "key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- ok",
        "key [secret] ok",
    ),
    ("cut -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt", "cut [secret]"),
    ("call 0151 12345678 now", "call [phone] now"),
    ("call +49 (0) 151 12345678 now", "call [phone] now"),
    ("call +33 6 12 34 56 78 now", "call [phone] now"),
    ("call +49 30 1234567 now", "call [phone] now"),
    ("call (0)30 1234567 now", "call [phone] now"),
    ("call 555 1234567 now", "call [phone] now"),
]

KEPT = [
    "config.json and main.py, e.g. Node.js v1.2",
    "timestamp 1700000000000 on 2020-01-01 10:30",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "at 10:30:00 in std::vector",
    "an id like 8k3jzq9p1bnx7fy5w4cm2ta6de",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_kind_is_replaced_by_its_label(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize("text", KEPT)
def test_technical_text_is_kept(text: str) -> None:
    assert redact(text, 500) == text


def test_length_cap_with_ellipsis() -> None:
    out = redact("x" * 50, 10)
    assert out == "x" * 9 + "…"
    assert len(out) == 10


def test_cap_never_leaves_half_a_placeholder() -> None:
    out = redact("aaaa mail me a@example.com", 18)
    assert out.endswith("…")
    assert "[em" not in out or "[email]" in out


def test_zero_cap_quotes_nothing() -> None:
    assert redact("anything", 0) == ""


def test_long_dotted_text_is_kept() -> None:
    # "a.a.a..." made the URL pattern rescan to the end from every word boundary (quadratic: about
    # a second per escalation of such a post); the bound on the scheme keeps it linear.
    text = "a." * 9_999
    assert redact(text, 20_000) == text


def test_huge_input_is_bounded() -> None:
    out = redact("10.0.0.1 " * 100_000, 100)
    assert out.startswith("[ip-address]")
    assert len(out) <= 100
