"""The provisioned server itself: health, accounts, team, channels, plugin-upload settings.

These need no bundle; they check that the harness (scripts/mattermost-server) left what the plugin
tests rely on.
"""

from __future__ import annotations

from e2e.mmapi import Server
from escalations.policy import Policy


def test_server_answers_ping_with_its_version(server: Server) -> None:
    reply = server.anonymous().get("/api/v4/system/ping")
    assert reply.ok(200)["status"] == "OK"
    assert server.env["server_version"], "provision records the server version"


def test_every_account_can_use_its_token(server: Server) -> None:
    for username in server.env["users"]:
        me = server.client(username).get("/api/v4/users/me").ok(200)
        assert me["username"] == username


def test_admin_is_system_admin_and_others_are_not(server: Server) -> None:
    admin = server.admin.get("/api/v4/users/me").ok(200)
    assert "system_admin" in admin["roles"]
    for username in server.env["staff"] + server.env["community"]:
        roles = server.client(username).get("/api/v4/users/me").ok(200)["roles"]
        assert "system_admin" not in roles, username


def test_staff_includes_every_member_of_the_bundled_policy(server: Server, policy: Policy) -> None:
    members = {m.username for role in policy.roles for m in role.members}
    assert members <= set(server.env["staff"])


def test_team_and_channels(server: Server) -> None:
    team = server.admin.get(f"/api/v4/teams/{server.team_id}").ok(200)
    assert team["name"] == "private-core"
    public = server.admin.get(f"/api/v4/channels/{server.channel_id('public')}").ok(200)
    private = server.admin.get(f"/api/v4/channels/{server.channel_id('private')}").ok(200)
    dm = server.admin.get(f"/api/v4/channels/{server.channel_id('dm')}").ok(200)
    assert (public["type"], private["type"], dm["type"]) == ("O", "P", "D")
    community = server.client(server.env["community"][0])
    # A community user reads the public channel but not the staff channel.
    assert community.get(f"/api/v4/channels/{server.channel_id('public')}").status == 200
    assert community.get(f"/api/v4/channels/{server.channel_id('private')}").status == 403


def test_plugin_uploads_are_enabled_with_the_default_size_cap(server: Server) -> None:
    config = server.admin.get("/api/v4/config").ok(200)
    plugins = config["PluginSettings"]
    assert plugins["Enable"] and plugins["EnableUploads"]
    assert plugins["RequirePluginSignature"] is False
    # POST /api/v4/plugins body cap: FileSettings.MaxFileSize (+512 bytes); default 100 MiB.
    assert config["FileSettings"]["MaxFileSize"] == 100 * 1024 * 1024


def test_uploading_a_non_bundle_is_refused(server: Server) -> None:
    from e2e.mmapi import multipart

    body, ctype = multipart({"force": "true"}, {"plugin": ("junk.tar.gz", b"not a tarball")})
    reply = server.admin.post("/api/v4/plugins", raw=body, content_type=ctype)
    assert reply.status == 400, reply


def test_upload_cap_is_max_file_size_not_50_mib(server: Server) -> None:
    """A 60 MiB part gets past the size check (refused as no bundle: 400); a body over
    FileSettings.MaxFileSize (100 MiB) + 512 bytes is refused for its size (413)."""
    from e2e.mmapi import multipart

    mib = 1024 * 1024
    body, ctype = multipart({"force": "true"}, {"plugin": ("big.tar.gz", b"\0" * (60 * mib))})
    assert server.admin.post("/api/v4/plugins", raw=body, content_type=ctype).status == 400
    body, ctype = multipart({"force": "true"}, {"plugin": ("huge.tar.gz", b"\0" * (101 * mib))})
    over = server.admin.post("/api/v4/plugins", raw=body, content_type=ctype)
    # 11.x answers 413; older servers (9.x) pass net/http's error through as a plain-text 400.
    too_large = over.status == 413 or (
        over.status == 400 and "request body too large" in str(over.body)
    )
    assert too_large, over
