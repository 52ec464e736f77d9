"""Redaction at its boundaries: letter case of domains and addresses, and the fewest digits that
make a phone number. Behaviour of ``redact()`` only, whatever its passes look like inside."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact

UPPER_CASE = [
    ("we run MATTERMOST.EXAMPLE.COM", "we run [domain]"),
    ("host DB01.Acme.Internal failed", "host [domain] failed"),
    ("visit WWW.ACME.ORG today", "visit [url] today"),
    ("see HTTPS://FOO.EXAMPLE.COM/A now", "see [url] now"),
    ("see Example.Com/Users/Jane now", "see [url] now"),
    ("mail JANE.DOE@EXAMPLE.COM now", "mail [email] now"),
]

PHONES = [
    ("call 415 555 010 now", "call [phone] now"),  # nine digits: the fewest that count
    ("call 415-555-010.", "call [phone]."),
    ("(415)555-010", "[phone]"),
    ("call +49 1555 0101", "call [phone]"),  # international form, nine digits after the code
    ("call 123 456 789 012 345 now", "call [phone] now"),  # fifteen digits
]

KEPT = [
    "call 415 555 01 now",  # eight digits are not a phone number
    "call +41 555 010 now",
    "room 41 55 50 10",
    "on 2020-01-01 10:30",
    "see CONFIG.JSON and Main.PY",
]


@pytest.mark.parametrize(("text", "expected"), UPPER_CASE + PHONES)
def test_redacted(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize("text", KEPT)
def test_kept(text: str) -> None:
    assert redact(text, 500) == text


SECRETS = [
    "MATTERMOST.EXAMPLE.COM",
    "WWW.ACME.ORG",
    "JANE.DOE@EXAMPLE.COM",
    "415 555 010",
    "(415)555-010",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_nothing_leaks_at_the_edges_of_the_message(secret: str) -> None:
    """The same data as the whole message, or glued to punctuation, is still replaced."""
    for framed in (secret, f"[{secret}]", f"{secret}!", f"{secret}."):
        out = redact(framed, 500)
        assert secret not in out, (framed, out)
        assert not any(part in out for part in ("EXAMPLE", "ACME", "555")), (framed, out)
