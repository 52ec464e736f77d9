"""Entry script that Mattermost (or the Go bridge) starts as ``python3 server/plugin.py``.

It must not print anything to stdout: the first stdout line is the go-plugin handshake, which the
runtime writes once its gRPC server listens. Problems before that go to stderr, which the server
copies into its log, prefixed so that they show at error level.

In an installed bundle the Python dependencies are vendored under ``server/vendor/`` (see
``scripts/bundle.py``): pure-Python code once, protobuf's extension per architecture under
``vendor/_native/linux-<arch>/``, and grpcio's compiled module for every supported CPython in one
xz archive per architecture, of which the build for the running interpreter is extracted on first
start. In a source checkout the dependencies come from the project's virtualenv instead.
"""

# ruff: noqa: UP031  -- %-formatting on purpose: this file must parse on old interpreters to say
# that they are unsupported.
import os
import platform
import sys
import sysconfig
import tarfile
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # quoted below: the running interpreter may predate these spellings
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

SUPPORTED = ((3, 10), (3, 13))
ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


class StartupError(Exception):
    """The interpreter or platform cannot run the plugin; the message tells the admin why."""


def _check_interpreter() -> None:
    low, high = SUPPORTED
    if sys.implementation.name != "cpython" or not (low <= sys.version_info[:2] <= high):
        raise StartupError(
            "unsupported Python %s %d.%d at %s; this plugin needs CPython %d.%d to %d.%d as the "
            "python3 first on the Mattermost server's PATH."
            % ((sys.implementation.name,) + sys.version_info[:2] + (sys.executable,) + low + high)
        )


def _arch() -> str:
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ARCH_ALIASES:
        raise StartupError(
            "unsupported platform %s/%s; the bundle ships its gRPC library for linux x86_64 "
            "and aarch64 only." % (sys.platform, machine)
        )
    return ARCH_ALIASES[machine]


def _extract_cygrpc(archive: str, target_dir: str, member: str) -> None:
    """Extract ``member`` from ``archive`` into ``target_dir`` atomically (several plugin
    processes of one node may start at once, e.g. after a restart)."""
    with tarfile.open(archive, "r:xz") as tar:
        try:
            source = tar.extractfile(member)
        except KeyError:
            source = None
        if source is None:
            raise StartupError(
                "the bundle has no gRPC build %s for CPython %d.%d"
                % ((member,) + sys.version_info[:2])
            )
        os.makedirs(target_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".cygrpc-")
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = source.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
            os.chmod(tmp, 0o755)
            os.replace(tmp, os.path.join(target_dir, member))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _prepare_vendor(vendor: str) -> None:
    arch = _arch()
    sys.path.insert(0, os.path.join(vendor, "_native", "linux-" + arch))
    sys.path.insert(0, vendor)
    member = "cygrpc" + sysconfig.get_config_var("EXT_SUFFIX")
    package_dir = os.path.join(vendor, "grpc", "_cython")
    if os.path.exists(os.path.join(package_dir, member)):
        return
    archive = os.path.join(vendor, "_native", "cygrpc-linux-%s.tar.xz" % arch)
    try:
        _extract_cygrpc(archive, package_dir, member)
    except PermissionError:
        # Read-only plugin directory: extract to a private temp dir and extend the package path.
        fallback = os.path.join(
            tempfile.gettempdir(), "community-escalations-%d" % os.getuid(), arch
        )
        if not os.path.exists(os.path.join(fallback, member)):
            _extract_cygrpc(archive, fallback, member)
        sys.meta_path.insert(0, _CygrpcFinder(os.path.join(fallback, member)))


class _CygrpcFinder:
    """Finds ``grpc._cython.cygrpc`` at an explicit path (used when the bundle is read-only)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname != "grpc._cython.cygrpc":
            return None
        import importlib.machinery
        import importlib.util

        loader = importlib.machinery.ExtensionFileLoader(fullname, self.path)
        return importlib.util.spec_from_file_location(fullname, self.path, loader=loader)


def _prepare_path() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    vendor = os.path.join(here, "vendor")
    if os.path.isdir(vendor):
        _prepare_vendor(vendor)
    sys.path.insert(0, here)
    try:
        import grpc  # noqa: F401  (load the native module now, to report a clear error)
    except ImportError as exc:
        raise StartupError("cannot load the gRPC library: %s" % exc) from exc


def main() -> None:
    try:
        _check_interpreter()
        _prepare_path()
    except (StartupError, OSError, tarfile.TarError) as exc:
        sys.stderr.write("[ERROR] community-escalations cannot start: %s\n" % exc)
        sys.stderr.flush()
        raise SystemExit(1) from None
    from escalations.app.main import main as app_main

    app_main()


if __name__ == "__main__":
    main()
