"""Redaction gaps found by the properties: addresses under any suffix, and what a reader sees when
invisible characters sit inside a Markdown escape or an HTML entity."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact

ZW = "\u200b"

ADDRESSES = [
    ("see 0@A.ZA now", "see [email] now"),
    ("see 0@ab.za now", "see [email] now"),
    ("see x@a.za now", "see [email] now"),
    ("mail jane@example.co.za today", "mail [email] today"),
    ("mail admin@nas.local today", "mail [email] today"),
    ("mail ops@db01.internal today", "mail [email] today"),
    ("mail jane@corp.zz today", "mail [email] today"),
    ("mail jane@shop.example today", "mail [email] today"),
    ("(jane@mail.acme.unknowntld)", "([email])"),
    ("**jane@host.intranet**", "**[email]**"),
    ("<x@a.za>", "<[email]>"),
    ("'x@a.za'", "'[email]'"),
    ("_jane@a.za_", "_[email]_"),
    # a login at a host, in a command that opens a session on it
    ("run ssh jane@db01 then", "run ssh [email] then"),
    ("ssh -p 2222 jane@bastion", "ssh -p 2222 [email]"),
    ("scp dump.sql jane@db01:/tmp/", "scp dump.sql [email]:/tmp/"),
    ("try `ssh root@10.0.0.5`", "try `ssh [email]`"),
    ("ssh-keygen -t ed25519 -C jane@laptop", "ssh-keygen -t ed25519 -C [email]"),
]

NOT_ADDRESSES = [
    "foo@bar",
    "npm i lodash@4.17.21",
    "npm i react@18.x",
    "brew install python@3.12",
    "uses: actions/checkout@v4",
    "npx create-app@latest",
    "hibernate-core@5.4.0.Final",
    "@app.route('/health')",
    "cc @jane.doe please",
    "**@jane.doe** wrote it",
    "'@jane.doe' wrote it",
    "y = x@self.weight",
    "this@MainActivity.runOnUiThread { }",
    "return@forEach",
    "git stash@{0}",
    "jane@db01 said hi",  # user@host outside a login command: a mention-like token, kept
]


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_an_address_is_redacted_whatever_its_suffix(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_code_and_versions_with_an_at_sign_are_kept(text: str) -> None:
    assert redact(text, 500) == text


HIDDEN = [
    # invisible characters between a backslash and what it escapes
    (f"see  10.20\\{ZW}.{ZW}30.40  now", "see  [ip-address]  now"),
    (f"see 10\\{ZW}.1\\{ZW}.2\\{ZW}.3 now", "see [ip-address] now"),
    (f"mail jane\\{ZW}@example.com now", "mail [email] now"),
    ("mail jane\\\u2060\u00ad@example.com now", "mail [email] now"),
    # invisible characters inside an entity, and entities that give an invisible or a backslash
    (f"mail jane&{ZW}#64;example.com now", "mail [email] now"),
    (f"mail jane&#6{ZW}4;example.com now", "mail [email] now"),
    ("see 10.20\\&#8203;.30.40 now", "see [ip-address] now"),
    ("see 10.20&#92;.30.40 now", "see [ip-address] now"),
    ("see 10.20&bsol;.30.40 now", "see [ip-address] now"),
    # a full-width backslash is a backslash
    ("see 10.20\uff3c.30.40 now", "see [ip-address] now"),
]


@pytest.mark.parametrize(("text", "expected"), HIDDEN)
def test_invisible_characters_go_before_escapes_and_entities_are_read(
    text: str, expected: str
) -> None:
    assert redact(text, 500) == expected


def test_text_around_hidden_characters_stays_as_typed() -> None:
    text = f"a\\{ZW}*b*, 10.20\\{ZW}.30.40 & C:\\path\\file.txt"
    assert redact(text, 500) == f"a\\{ZW}*b*, [ip-address] & C:\\path\\file.txt"


def test_a_login_needs_a_user_name() -> None:
    assert redact("ssh ._@db01 now", 500) == "ssh ._@db01 now"
