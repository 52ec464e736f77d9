"""Plugin settings changed through Mattermost's config API reach the running plugin.

``PUT /api/v4/config/patch`` is what the System Console does; the server then calls the plugin's
``OnConfigurationChange``. Every test puts the settings back (fixture), so later files see the
bundled policy and the default excerpt length.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from e2e.flows import TOPIC, make, responders
from e2e.mmapi import PLUGIN_ID, REPO, Server, wait_for
from e2e.ops import CHANNEL_NAME, TEAM_NAME, configure_plugin
from escalations.policy import load_policy_text

DEFAULTS = {
    "TeamName": TEAM_NAME,
    "ChannelName": CHANNEL_NAME,
    "PolicyOverride": "",
    "ExcerptMaxChars": 500,
}


def topics_version(server: Server) -> str | None:
    reply = server.client(server.env["community"][0]).topics()
    return reply.body["policy"]["version"] if reply.status == 200 else None


@pytest.fixture
def restore(server: Server, plugin: Any, policy: Any) -> Iterator[None]:
    yield
    configure_plugin(server.admin, DEFAULTS)
    wait_for("the bundled policy back", lambda: topics_version(server) == policy.version, 30)


def plugin_settings(server: Server) -> dict[str, Any]:
    config = server.admin.get("/api/v4/config").ok(200)
    return dict(config["PluginSettings"]["Plugins"][PLUGIN_ID])


def test_policy_override_replaces_and_an_invalid_one_is_rejected(
    server: Server, plugin: Any, policy: Any, restore: None
) -> None:
    older_text = (REPO / "policy" / "community-escalations.yaml").read_text()
    older = load_policy_text(older_text).policy
    assert older is not None and older.version != policy.version

    configure_plugin(server.admin, {"PolicyOverride": older_text})
    assert plugin_settings(server)["teamname"] == TEAM_NAME, "the other settings stay"
    wait_for("the override to apply", lambda: topics_version(server) == older.version, 30)

    configure_plugin(server.admin, {"PolicyOverride": "format_version: 1\ntopics: [unclosed"})
    who = responders(policy)[0]

    def rejection() -> str:
        reply = server.client(who).command(server.channel_id("public"), "/escalation policy")
        text = str(reply.ok(200).get("text") or "")
        return text if "rejected" in text else ""

    # OnConfigurationChange runs after the config API answers: wait until the plugin saw it.
    text = wait_for("the rejection to show", rejection, 30)
    assert topics_version(server) == older.version, "the last good policy stays active"
    assert older.version in text or older.title in text, text
    assert "PolicyOverride" in text, text


def test_excerpt_length_zero_quotes_nothing(
    server: Server, plugin: Any, policy: Any, restore: None
) -> None:
    configure_plugin(server.admin, {"ExcerptMaxChars": 0})
    wait_for(
        "the setting to reach the plugin",
        lambda: plugin_settings(server)["excerptmaxchars"] in (0, "0"),
        10,
    )
    marker = "unmistakable-community-words"

    # The plugin applies configuration asynchronously; retry with fresh posts until it shows.
    def quoted_nothing() -> bool:
        made = make(server, policy, topic=TOPIC, text=f"{marker} about telemetry")
        message = server.admin.get_post(made.post_id).ok(200)["message"]
        return marker not in message

    wait_for("an escalation without excerpt", quoted_nothing, 20, interval=1.0)
