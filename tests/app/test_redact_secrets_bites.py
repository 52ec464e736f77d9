"""Credentials at their edges, word for word: each syntax of a named value and the prose rules,
token formats, authorization headers, ``curl -u``, ``user:password@``, Mattermost ids called a
token, and long random runs."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact

MM_ID = "8k3jzq9p1bnx7fy5w4cm2ta6de"  # 26 characters, like a Mattermost id or access token
RANDOM = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"  # mixed case and digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # private keys, whole or cut
        ("key -----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY----- ok", "key [secret] ok"),
        (
            "k -----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK----- ok",
            "k [secret] ok",
        ),
        ("key -----BEGIN EC PRIVATE KEY-----\nabc", "key [secret]"),
        # token formats
        ("t github_pat_11ABCDEFG0123456789_abcdefghij ok", "t [secret] ok"),
        ("t xoxb-1234567890-abcdef ok", "t [secret] ok"),
        ("t xapp-1-A0123456789 ok", "t [secret] ok"),
        ("t glpat-abcdefghij0123456789 ok", "t [secret] ok"),
        ("t AIzaSyA-abcdefghijklmnopqrstuvwxyz01234 ok", "t [secret] ok"),
        ("t sk-abcdefghij0123456789 ok", "t [secret] ok"),
        ("t rk_live_abcdefghij12 ok", "t [secret] ok"),
        ("t gho_abcdefghijklmnopqrst ok", "t [secret] ok"),
        # named values in every syntax; the name stays
        ("mypassword=hunter2 ok", "mypassword=[secret] ok"),
        ("password = 'a b' ok", "password = [secret] ok"),
        ("password => hunter2 ok", "password => [secret] ok"),
        ("password := hunter2 ok", "password := [secret] ok"),
        ('"password": "hunter2"', '"password": [secret]'),
        ("DB_PASSWORD=hunter2", "DB_PASSWORD=[secret]"),
        ("auth_key_b64=abcd ok", "auth_key_b64=[secret] ok"),
        ("secrets_value: abc ok", "secrets_value: [secret] ok"),
        ("user_pass=abc ok", "user_pass=[secret] ok"),
        ("credential=abc ok", "credential=[secret] ok"),
        ("apikey=abc ok", "apikey=[secret] ok"),
        ("api-key=abc ok", "api-key=[secret] ok"),
        ("Token=1234567 ok", "Token=[secret] ok"),
        ("token=12345a ok", "token=[secret] ok"),
        # the sentence around an unquoted value
        ("password=hunter2. ok", "password=[secret]. ok"),
        ("**password=hunter2**", "**password=[secret]**"),
        ("password=hunter2~_ ok", "password=[secret]~_ ok"),
        ("password=** ok", "password=[secret]* ok"),
        # in prose: "my password is ..."
        ("my password is hunter2 ok", "my password is [secret] ok"),
        ("my password was hunter2 ok", "my password was [secret] ok"),
        ("my password is now hunter2 ok", "my password is now [secret] ok"),
        ("the pwd is hunter2 ok", "the pwd is [secret] ok"),
        # authorization headers
        ("Authorization: Basic dXNlcjpwYXNzd29yZA== ok", "Authorization: Basic [secret] ok"),
        ("Basic dXNlcjpwYXNzd29yZA= ok", "Basic [secret] ok"),
        ("Basic Ab1defghij ok", "Basic [secret] ok"),
        ("bearer abcdefghijk ok", "bearer [secret] ok"),
        ("(Bearer abcdefgh) ok", "(Bearer [secret]) ok"),
        ("xbearer abcdefghijk, Bearer abcdefghijk", "xbearer abcdefghijk, Bearer [secret]"),
        ("x-u a:b and -u jane:hunter2", "x-u a:b and -u [secret]"),
        # user:password pairs
        ("curl -u jane:hunter2 ok", "curl -u [secret] ok"),
        ("curl --user=jane:hunter2 x", "curl --user=[secret] x"),
        ("-u jane:hunter2", "-u [secret]"),
        ("db jane:hunter2@db.example.com ok", "db [secret] ok"),
        ("db jane:hunter2@10.0.0.1 ok", "db [secret] ok"),
        # a password inside a link to a public site goes; the rest of the link stays
        (
            "see github.com/login?next=jane:hunter2@db.example.com now",
            "see github.com/login?next=[secret] now",
        ),
        ("see github.com/a?b&--user=jane:hunter2 now", "see github.com/a?b&--user=[secret] now"),
        ("see github.com/login?token=abc123 now", "see github.com/login?token=[secret] now"),
        (f"see github.com/token/{MM_ID} now", "see github.com/token/[secret] now"),
        ("\u00e9password=x and password=hunter2", "\u00e9password=x and password=[secret]"),
        # Mattermost ids called a token
        (f"token: {MM_ID} ok", "token: [secret] ok"),
        (f"pat {MM_ID} ok", "pat [secret] ok"),
        (f"my PAT: {MM_ID} ok", "my PAT: [secret] ok"),
        (f"the key {MM_ID} ok", "the key [secret] ok"),
        (f"secret\n{MM_ID}", "secret\n[secret]"),
        (f"token {'x' * 41} {MM_ID}", f"token {'x' * 41} [secret]"),  # 48 characters before
        # long random runs
        (f"k {RANDOM} ok", "k [secret] ok"),
        (f"k {RANDOM[:32]} ok", "k [secret] ok"),
        (f"p src/{RANDOM[:24]}/abcdefgh ok", "p [secret] ok"),
        (f"p {RANDOM[:20]}+S7/tU9vW1xY3z ok", "p [secret] ok"),  # "+": not a path
    ],
)
def test_redacted(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize(
    "text",
    [
        "pub -----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY----- ok",
        "t ghp_abcdefghijklmnopqrs ok",  # too short for a GitHub token
        "\u00e9password=hunter2 ok",  # a longer word that ends in "password"
        "the password is wrong",
        'the password is "wrong"',
        "the password is Wrong!",
        "the password is *expired*",
        "the token is abc123xyz",  # "is" only after a password-like word
        "the secret was hunter2",
        "max_tokens=4096",
        "token=123456 ok",
        "a basic understanding ok",
        "Basic abcdefghij ok",
        "xbearer abcdefghijk ok",
        "Bearer abc ok",
        "curl --user jane ok",
        "x-u jane:pw ok",
        "a --u jane:pw ok",
        "mysql -u root -p",
        "see /jane:pw@host ok",
        f"id {MM_ID} ok",
        f"token x{MM_ID} ok",
        f"token {MM_ID}x ok",
        f"token {'x' * 42} {MM_ID}",  # 49 characters before: too far
        f"k {RANDOM[:31]} ok",
        f"k {RANDOM.lower()} ok",
        f"k {RANDOM.upper()} ok",
        "k aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH ok",  # no digit
        f"p src/{RANDOM[:23]}/abcdefghi ok",  # each part of a path is short
        f"p {RANDOM[:22]}/{RANDOM[22:]}abc ok",
    ],
)
def test_kept(text: str) -> None:
    assert redact(text, 500) == text
