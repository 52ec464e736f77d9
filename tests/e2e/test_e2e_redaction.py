"""Redaction on a real server: one case of every class in a community member's message and in the
escalator's note, escalated through the plugin's HTTP API; the escalation post, read back through
the REST API, shows none of them, and keeps the public link being escalated."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.flows import make
from e2e.mmapi import Server

# (class, as written; the excerpt quotes the first 500 characters, so each post stays short)
PERSONAL = [
    ("email", "jane.doe@example.org"),
    ("email-obfuscated", "jane [at] example [dot] net"),
    ("normalised-away", "bob\u200b@example\\.com"),
    ("ipv4", "203.0.113.7:8065"),
    ("ipv6", "2001:db8::42"),
    ("domain", "chat.example.gg"),
    ("url", "https://telemetry.example.net/collect?id=42"),
    ("phone", "0151/12345678"),
]
FINANCIAL_AND_SECRETS = [
    ("card", "4111 1111 1111 1111"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("ssn", "078-05-1120"),
    ("credential", "DB_PASSWORD=hunter2"),
    ("token", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
    ("userinfo", "curl -u admin:s3cr3tpw"),
    ("mattermost-token", "token 8k3jzq9p1bnx7fy5w4cm2ta6de"),
]
LEAKS = {
    "jane [at] example [dot] net": "example [dot] net",
    "bob\u200b@example\\.com": "example\\.com",
    "DB_PASSWORD=hunter2": "hunter2",
    "curl -u admin:s3cr3tpw": "s3cr3tpw",
    "token 8k3jzq9p1bnx7fy5w4cm2ta6de": "8k3jzq9p1bnx7fy5w4cm2ta6de",
}
PUBLIC_THREAD = "https://github.com/mattermost/mattermost/issues/12345"


def _quoted(message: str) -> str:
    return "\n".join(line for line in message.splitlines() if line.startswith("> "))


@pytest.mark.parametrize(
    "cases", [PERSONAL, FINANCIAL_AND_SECRETS], ids=["personal", "financial-and-secrets"]
)
def test_every_class_is_redacted_in_a_real_escalation_post(
    server: Server, plugin: Any, policy: Any, cases: list[tuple[str, str]]
) -> None:
    text = f"From {PUBLIC_THREAD}: " + "; ".join(f"{kind} {value}" for kind, value in cases)
    made = make(server, policy, text=text, note="member at 198.51.100.23, mail eve@example.com")
    message = server.admin.get_post(made.post_id).ok(200)["message"]
    quoted = _quoted(message)
    for kind, value in cases:
        leak = LEAKS.get(value, value)
        assert leak not in message, f"{kind}: {leak!r} leaked into the escalation post"
        assert kind in quoted, f"the text around {kind} should stay: {quoted}"
    assert PUBLIC_THREAD in message, "the public thread being escalated stays readable"
    assert "198.51.100.23" not in message and "eve@example.com" not in message
    assert "member at [ip-address], mail [email]" in message
