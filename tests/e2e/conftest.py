"""Fixtures of the real-server suite: the provisioned server, the installed plugin, the policy.

The suite (``test_e2e_*.py``) is opt-in: collected only when pytest is asked for it (``-m e2e``
or ``MM_E2E=1``), because it needs a running Mattermost server (``scripts/mattermost-server
start``), which the default ``make test`` does not start. When asked for, nothing is skipped: a
missing server or bundle fails the session with the command that fixes it. The offline checks of
the harness (``test_script_*.py``) always run.

Order of a session: ``server`` (env.json + health) -> ``plugin`` (upload the bundle through
``POST /api/v4/plugins`` with ``force=true``, configure ``TeamName``/``ChannelName`` through
``PUT /api/v4/config/patch``, enable, wait until the plugin runs and its HTTP API answers).
``plugin`` re-uploads every session, so a rebuilt bundle is always the one tested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.mmapi import PLUGIN_ID, E2EError, Server
from e2e.ops import (
    CHANNEL_NAME,
    TEAM_NAME,
    bundle_path,
    configure_plugin,
    enable_plugin,
    upload_bundle,
)
from escalations.policy import Policy


def _asked_for(config: pytest.Config) -> bool:
    markexpr = str(config.getoption("markexpr", "") or "")
    return os.environ.get("MM_E2E") == "1" or ("e2e" in markexpr and "not e2e" not in markexpr)


def _needs_server(path: Path) -> bool:
    # test_e2e_*.py talk to the server; test_script_*.py check the harness offline (always run).
    return path.name.startswith("test_e2e_")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if _needs_server(collection_path) and not _asked_for(config):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _needs_server(Path(str(item.fspath))):
            item.add_marker(pytest.mark.e2e)


# --- server ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server() -> Server:
    srv = Server.load()
    if not srv.healthy():
        raise E2EError(f"no Mattermost at {srv.url}: run `scripts/mattermost-server start`")
    return srv


@pytest.fixture(scope="session")
def plugin(server: Server) -> Iterator[dict[str, Any]]:
    """The bundle, uploaded, configured for the provisioned team, enabled and answering."""
    path = bundle_path()
    if not path.exists():
        raise E2EError(f"no bundle at {path}: run `make dist` (or set MM_E2E_BUNDLE)")
    admin = server.admin
    manifest = upload_bundle(admin, path)
    assert manifest["id"] == PLUGIN_ID
    # The suite escalates far more than a person would: the per-user rate limit is off except
    # in the test that sets it (test_e2e_hardening.py).
    configure_plugin(
        admin, {"TeamName": TEAM_NAME, "ChannelName": CHANNEL_NAME, "EscalationsPerHour": 0}
    )
    enable_plugin(server)
    yield dict(manifest)


# --- policy and channels ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The bundled policy, which the plugin uses when PolicyOverride is empty."""
    from escalations.policy import bundled_policy_path, load_policy_file

    result = load_policy_file(bundled_policy_path())
    assert result.policy is not None, result.errors
    return result.policy


@pytest.fixture(scope="session")
def escalations_channel(server: Server, plugin: dict[str, Any]) -> dict[str, Any]:
    reply = server.admin.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}")
    return dict(reply.ok(200))
