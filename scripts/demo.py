#!/usr/bin/env python3
"""Something to click (``make demo``): the local Mattermost server with the plugin, and a page.

1. starts the local server (``scripts/mattermost-server start``: build if needed, PostgreSQL,
   Mattermost, the policy's people, community users, team and channels);
2. installs the stock-server bundle (``make demo`` builds it first), configures the escalations
   team and enables the plugin through the REST API (the end-to-end suite's steps, ``e2e/ops.py``);
3. posts a community member's question to escalate;
4. serves the test host page (``webapp/test/browser/serve_live.ts``) against the server, logged in
   as a responder, and prints its address and the logins; Ctrl-C stops the page (the server keeps
   running: ``scripts/mattermost-server stop``).

The page is a stand-in written for the tests, not Mattermost's webapp (which cannot be built here).
Ports: ``MM_E2E_PORT`` (server, default 8065), ``MM_DEMO_PORT`` (page, default the server's + 1).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "server")]

from e2e.flows import TOPIC, responders  # noqa: E402
from e2e.mmapi import E2EError, Server  # noqa: E402
from e2e.ops import (  # noqa: E402
    CHANNEL_NAME,
    TEAM_NAME,
    bundle_path,
    community_post,
    configure_plugin,
    disable_plugin,
    enable_plugin,
    upload_bundle,
)
from escalations.policy import Policy, bundled_policy_path, load_policy_file  # noqa: E402

# A busy machine can slow the plugin's first start past the server's handshake deadline.
START_ATTEMPTS = 3
QUESTION = (
    "Hi! Since upgrading, our self-hosted server sends something to a telemetry address every "
    "hour. What is in it, and can we turn it off? Our admin is jane.doe@example.org."
)


def start_server() -> Server:
    subprocess.run([str(REPO / "scripts" / "mattermost-server"), "start"], check=True)
    return Server.load()


def install_plugin(server: Server) -> None:
    path = bundle_path()
    if not path.exists():
        sys.exit(f"no bundle at {path}: run `make demo` (it builds the bundle first)")
    try:
        upload_bundle(server.admin, path)
    except E2EError as err:
        # Installed, but its restart failed (a slow start on a loaded machine): enabling below
        # starts it again and says why if it fails for good.
        print(f"demo: the upload's restart failed, starting the plugin again ({err})")
    configure_plugin(server.admin, {"TeamName": TEAM_NAME, "ChannelName": CHANNEL_NAME})
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            enable_plugin(server)
            return
        except E2EError:
            if attempt == START_ATTEMPTS:
                raise
            print(f"demo: the plugin did not start (attempt {attempt}), trying again")
            disable_plugin(server)


def logins(server: Server, policy: Policy) -> list[tuple[str, str]]:
    """(username, what they can try) for the page's ``?as=`` logins."""
    owner, responder = responders(policy, TOPIC)[:2]
    return [
        (responder, f"a responder of {TOPIC}: Escalate, then Claim, Assign, Resolve"),
        (owner, f"the default owner of {TOPIC}"),
        (server.env["community"][0], "a community member: Escalate only, no escalations channel"),
        (server.env["admin"]["username"], "a system admin"),
    ]


def main() -> int:
    result = load_policy_file(bundled_policy_path())
    assert result.policy is not None, result.errors
    server = start_server()
    install_plugin(server)
    community_post(server, QUESTION)
    people = logins(server, result.policy)
    # scripts/mattermost-server gives every account the same password (a loopback test server)
    password = server.env["users"][people[0][0]]["password"]
    port = os.environ.get("MM_DEMO_PORT") or str(int(server.url.rsplit(":", 1)[1]) + 1)
    page = f"http://127.0.0.1:{port}/"
    version = server.env["server_version"]
    print(f"\nCommunity Escalations demo: Mattermost {version} at {server.url}")
    print(f"Test host page (a stand-in for the tests, not Mattermost's webapp): {page}")
    print(f"Logins (password {password!r} for every account; the page logs in as the first):")
    for name, what in people:
        print(f"  {page}?as={name}  {what}")
    print("Try: ⊞ on the question > Escalate > a topic > Escalate; then Claim in the escalations.")
    print("Ctrl-C stops the page; `scripts/mattermost-server stop` stops the server.\n", flush=True)
    env = {
        **os.environ,
        "CE_DEMO_SITE_URL": server.url,
        "CE_DEMO_PORT": port,
        "CE_DEMO_PASSWORD": password,
        "CE_DEMO_USER": people[0][0],
        "CE_DEMO_TEAM": TEAM_NAME,
        "CE_DEMO_COMMUNITY": server.env["channels"]["public"]["name"],
        "CE_DEMO_ESCALATIONS": CHANNEL_NAME,
    }
    try:
        return subprocess.run(
            ["npm", "run", "--silent", "demo"], cwd=REPO / "webapp", env=env
        ).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
