"""The installable bundle, as an admin gets it.

Takes the native bundle that ``make dist-native`` built (``make test-python`` builds it first; the
build is cached by its inputs, so it is not repeated inside a test's time limit), checks that it is
current, extracts it into a fresh directory the way the server does (regular files and directories
only), and starts it under the host emulator with bare CPython interpreters that have none of the
project's dependencies installed: everything must come from the bundle's ``server/vendor``.

The bare interpreters are CPython 3.9 (refused) and 3.10-3.13 (supported), found under pyenv's
``versions/`` (``PYENV_ROOT``, default ``~/.pyenv``) or on ``PATH`` as ``python3.X``; a missing one
fails the test with the command that installs it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from hostemu import PluginActivationError
from hostemu.host import Host
from hostemu.model import Channel, User

# The bundle is built by make before pytest; each test here extracts it and starts it with a bare
# interpreter, whose first start unpacks grpcio's module: seconds on idle cores, up to a minute on
# a loaded machine (see FIRST_START_TIMEOUT), so each test gets more than pytest's default.
pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
# The smallest plugin upload limit in the field: older servers' fixed MaximumPluginFileSize (current
# ones use FileSettings.MaxFileSize, 100 MiB by default).
UPLOAD_LIMIT = 50 * 1024 * 1024
# The server gives a Python plugin 10 s to print its handshake; a bundle's first start also unpacks
# grpcio's compiled module for the interpreter. What these tests check is that the bundle runs on a
# bare interpreter, not the machine's speed: on a loaded test machine (CI runs several suites and a
# Mattermost server on two cores) the start is given a minute; `make bench` times the first start.
FIRST_START_TIMEOUT = 60.0


def _find_python(version: str) -> str:
    """CPython ``version``: pyenv's newest build of it, else ``python<version>`` on PATH."""
    candidates = sorted(PYENV.glob(f"{version}.*/bin/python3"))
    if candidates:
        return str(candidates[-1])
    on_path = shutil.which(f"python{version}")
    assert on_path, (
        f"the bundle test needs CPython {version} (found neither {PYENV}/{version}.*/bin/python3 "
        f"nor python{version} on PATH): install it with `pyenv install {version}` (pyenv builds "
        f"it from CPython's source) or your distribution's python{version} package"
    )
    return on_path


def _bare_python(version: str) -> str:
    """An interpreter of ``version`` without grpc."""
    python = _find_python(version)
    probe = subprocess.run([python, "-I", "-c", "import grpc"], capture_output=True)
    assert probe.returncode != 0, f"{python} has grpc installed; it must be bare for this test"
    return python


def _bundle_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_script", ROOT / "scripts" / "bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle() -> Path:
    script = _bundle_script()
    target: Path = script.target_path("native", ROOT / "dist")
    assert script.is_current("native", target), (
        f"{target.relative_to(ROOT)} is missing or older than its sources: run `make dist-native` "
        "(`make test-python` does it first)"
    )
    return target


@pytest.fixture(scope="module")
def manifest(bundle: Path) -> dict[str, object]:
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("community-escalations/plugin.json")
        assert member is not None
        return dict(json.load(member))


def _extract(bundle: Path, dest: Path) -> Path:
    with tarfile.open(bundle) as tar:
        members = [m for m in tar.getmembers() if m.isreg() or m.isdir()]
        assert len(members) == len(tar.getmembers()), "the server drops links: the bundle has none"
        tar.extractall(dest, members=members, filter="data")
    return dest / "community-escalations"


def _start(plugin_dir: Path, python: str) -> tuple[Host, Channel, User]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(plugin_dir.parent), "LANG": "C.UTF-8"}
    host = Host(plugin_dir, env=env, interpreter=python, handshake_timeout=FIRST_START_TIMEOUT)
    people = [host.add_user(name) for name in ("jason.blais", "katie.wiersgalla", "corey.hulen")]
    alice = host.add_user("alice")
    team = host.add_team("private-core", members=[u.id for u in [*people, alice]])
    town = host.add_channel(team.id, "town-square", members=[alice.id])
    host.set_plugin_config({"TeamName": "private-core", "ChannelName": "community-escalations"})
    return host.start(), town, alice


def test_bundle_is_small_enough_to_upload(bundle: Path) -> None:
    size = bundle.stat().st_size
    print(f"native bundle: {size / 1024 / 1024:.1f} MiB")
    assert size < UPLOAD_LIMIT


def test_manifest_declares_the_python_runtime(manifest: dict[str, object]) -> None:
    server = manifest["server"]
    assert isinstance(server, dict)
    assert server["executable"] == "server/plugin.py"
    assert server["runtime"] == "python"
    assert manifest["webapp"] == {"bundle_path": "webapp/dist/main.js"}


def test_bundle_contents(bundle: Path) -> None:
    with tarfile.open(bundle) as tar:
        names = set(tar.getnames())
    prefix = "community-escalations/"
    for needed in (
        "plugin.json",
        "LICENSE",
        "assets/icon.svg",
        "policy/community-response.yaml",
        "policy/community-escalations.yaml",
        "server/plugin.py",
        "server/escalations/app/main.py",
        "webapp/dist/main.js",
        "server/vendor/_native/cygrpc-linux-x86_64.tar.xz",
        "server/vendor/_native/cygrpc-linux-aarch64.tar.xz",
        "server/vendor/_native/linux-aarch64/google/_upb/_message.abi3.so",
        "server/vendor/licenses/grpcio/LICENSE",
        "server/vendor/_native/linux-x86_64/re2/__init__.py",
        "server/vendor/_native/linux-aarch64/re2/__init__.py",
        "server/vendor/publicsuffixlist/public_suffix_list.dat",
        "server/vendor/phonenumbers/__init__.py",
        "server/vendor/licenses/google-re2/LICENSE",
        "server/vendor/licenses/publicsuffixlist/LICENSE",
        "server/vendor/licenses/phonenumberslite/LICENSE",
    ):
        assert prefix + needed in names, needed
    for arch in ("x86_64", "aarch64"):
        for python in ("310", "311", "312", "313"):
            re2 = f"re2/_re2.cpython-{python}-{arch}-linux-gnu.so"
            assert f"{prefix}server/vendor/_native/linux-{arch}/{re2}" in names, re2
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith(prefix + "tests/") for n in names), "the emulator is not shipped"
    stubs = [n for n in names if "/runtime/_pb/" in n and n.endswith("_pb2.py")]
    assert stubs, "generated stubs are part of the bundle"


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12", "3.13"])
def test_starts_with_a_bare_interpreter(bundle: Path, tmp_path: Path, version: str) -> None:
    plugin_dir = _extract(bundle, tmp_path)
    host, town, alice = _start(plugin_dir, _bare_python(version))
    try:
        assert "ServeHTTP" in host.implemented
        resp = host.http("GET", "/api/v1/topics", user_id=alice.id)
        assert resp.status == 200, resp.text
        assert len(resp.json()["topics"]) == 9
        # Every vendored redaction library at work: RE2, the Public Suffix List, libphonenumber.
        leaks = ("10.1.2.3", "jane@example.gg", "db.example.gg", "+49 151 12345678")
        text = "Is telemetry sent to {} from {} on {}? Call {}".format(*leaks)
        post = host.add_post(town.id, alice.id, text)
        body = {"post_id": post.id, "topic": "privacy-telemetry"}
        created = host.http("POST", "/api/v1/escalations", user_id=alice.id, body=body)
        assert created.status == 201, created.text
        message = host.get_post(created.json()["escalation_post_id"]).message
        assert "@jason.blais" in message
        assert not [leak for leak in leaks if leak in message], message
        assert "[ip-address]" in message and "[phone]" in message
    finally:
        host.stop()
    member = f"cygrpc.cpython-{version.replace('.', '')}-x86_64-linux-gnu.so"
    assert (plugin_dir / "server" / "vendor" / "grpc" / "_cython" / member).exists()


def test_unsupported_interpreter_is_refused_clearly(bundle: Path, tmp_path: Path) -> None:
    plugin_dir = _extract(bundle, tmp_path)
    host = Host(
        plugin_dir,
        env={"PATH": "/usr/bin:/bin"},
        interpreter=_find_python("3.9"),
        handshake_timeout=FIRST_START_TIMEOUT,
    )
    with pytest.raises(PluginActivationError) as caught:
        host.start()
    assert "unsupported Python cpython 3.9" in str(caught.value) + host.plugin_stderr()


def _load_entry(plugin_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_entry", plugin_dir / "server" / "plugin.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_read_only_plugin_dir_extracts_to_temp(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin_dir = _extract(bundle, tmp_path / "plugin")
    entry = _load_entry(plugin_dir)
    real = entry._extract_cygrpc
    package_dir = str(plugin_dir / "server" / "vendor" / "grpc" / "_cython")

    def refuse_bundle_dir(archive: str, target_dir: str, member: str) -> None:
        if target_dir == package_dir:
            raise PermissionError(13, "Read-only file system", target_dir)
        real(archive, target_dir, member)

    monkeypatch.setattr(entry, "_extract_cygrpc", refuse_bundle_dir)
    monkeypatch.setattr(entry.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    before = list(sys.meta_path)
    try:
        entry._prepare_vendor(str(plugin_dir / "server" / "vendor"))
        finders = [f for f in sys.meta_path if f not in before]
        assert len(finders) == 1
        spec = finders[0].find_spec("grpc._cython.cygrpc", None)
        assert spec is not None and str(tmp_path / "tmp") in (spec.origin or "")
        assert finders[0].find_spec("json", None) is None
    finally:
        sys.meta_path[:] = before
        sys.path[:] = [p for p in sys.path if str(plugin_dir) not in p]


def test_bundle_inputs_digest_follows_every_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache key of a bundle changes with any file it ships, and only then."""
    script = _bundle_script()
    for rel in ("plugin.json", "LICENSE", "server/plugin.py", "policy/a.yaml", "assets/icon.svg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}" if rel == "plugin.json" else rel)
    (tmp_path / "plugin.json").write_text(json.dumps({"webapp": {"bundle_path": "webapp/main.js"}}))
    (tmp_path / "webapp").mkdir()
    (tmp_path / "webapp" / "main.js").write_text("js")
    stubs = tmp_path / "server" / "escalations" / "runtime" / "_pb"
    stubs.mkdir(parents=True)
    (stubs / "api_pb2.py").write_text("stub")
    (stubs / "api_pb2.pyc").write_text("bytecode is not an input")
    monkeypatch.setattr(script, "ROOT", tmp_path)
    first = script.inputs_digest("native")
    assert script.inputs_digest("native") == first
    (stubs / "api_pb2.pyc").write_text("changed bytecode")
    assert script.inputs_digest("native") == first
    with pytest.raises(script.BundleError, match="make bridge"):
        script.inputs_digest("bridge")
    for rel in ("server/escalations/runtime/_pb/api_pb2.py", "policy/a.yaml", "webapp/main.js"):
        before = script.inputs_digest("native")
        (tmp_path / rel).write_text(rel + " changed")
        assert script.inputs_digest("native") != before, rel
