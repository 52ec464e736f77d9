"""Offline checks of scripts/mattermost-server (no server needed; part of the default run).

The server it starts must stay on loopback, keep the settings the suite relies on (uploads on,
signatures off, webserver off, no outbound traffic), give plugins the project's interpreter, and
provision every policy member.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType

import pytest

from e2e.mmapi import MANAGE, REPO
from escalations.policy import load_policy_file


@pytest.fixture(scope="module")
def script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("mattermost_server_script", str(MANAGE))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


def test_everything_listens_on_loopback_only(script: ModuleType) -> None:
    env = script.server_env()
    assert env["MM_SERVICESETTINGS_LISTENADDRESS"].startswith("127.0.0.1:")
    assert env["MM_SERVICESETTINGS_SITEURL"].startswith("http://127.0.0.1:")
    assert "@127.0.0.1:" in env["MM_SQLSETTINGS_DATASOURCE"]
    assert script.HOST == "127.0.0.1"


def test_settings_the_suite_relies_on(script: ModuleType) -> None:
    env = script.server_env()
    expected = {
        "MM_SERVICESETTINGS_WEBSERVERMODE": "disabled",
        "MM_PLUGINSETTINGS_ENABLE": "true",
        "MM_PLUGINSETTINGS_ENABLEUPLOADS": "true",
        "MM_PLUGINSETTINGS_REQUIREPLUGINSIGNATURE": "false",
        "MM_PLUGINSETTINGS_ENABLEMARKETPLACE": "false",
        "MM_PLUGINSETTINGS_AUTOMATICPREPACKAGEDPLUGINS": "false",
        "MM_SERVICESETTINGS_ENABLELINKPREVIEWS": "false",
        "MM_LOGSETTINGS_ENABLEDIAGNOSTICS": "false",
    }
    assert {k: env[k] for k in expected} == expected
    assert env["MM_PLUGINSETTINGS_DIRECTORY"].startswith(str(REPO / ".cache"))


def test_plugins_get_the_projects_python_first(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MM_E2E_SYSTEM_PYTHON", raising=False)
    assert script.server_env()["PATH"].split(":")[0] == str(REPO / ".venv" / "bin")
    monkeypatch.setenv("MM_E2E_SYSTEM_PYTHON", "1")
    assert ".venv" not in script.server_env()["PATH"]


def test_staff_covers_every_member_of_every_policy(script: ModuleType) -> None:
    staff = set(script.staff_usernames())
    for path in sorted((REPO / "policy").glob("*.yaml")):
        policy = load_policy_file(path).policy
        assert policy is not None, path
        assert {m.username for r in policy.roles for m in r.members} <= staff, path


def test_the_binary_cache_is_keyed_by_both_module_versions(script: ModuleType) -> None:
    root = script.server_build().root
    assert script.V8_VERSION in root.name and script.PUBLIC_VERSION in root.name
    assert root.is_relative_to(REPO / ".cache")


def test_the_second_node_shares_the_database_and_files_only() -> None:
    loader = importlib.machinery.SourceFileLoader("mattermost_server_second", str(MANAGE))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    second = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = second
    loader.exec_module(second)
    first = second.server_env()
    second.as_second()
    other = second.server_env()
    assert other["MM_SQLSETTINGS_DATASOURCE"] == first["MM_SQLSETTINGS_DATASOURCE"]
    assert other["MM_FILESETTINGS_DIRECTORY"] == first["MM_FILESETTINGS_DIRECTORY"]
    for key in (
        "MM_SERVICESETTINGS_LISTENADDRESS",
        "MM_SERVICESETTINGS_SITEURL",
        "MM_CONFIG",
        "MM_PLUGINSETTINGS_DIRECTORY",
        "MM_PLUGINSETTINGS_CLIENTDIRECTORY",
        "MM_SERVICESETTINGS_LOCALMODESOCKETLOCATION",
    ):
        assert other[key] != first[key], key
    assert other["MM_SERVICESETTINGS_LISTENADDRESS"].startswith("127.0.0.1:")
