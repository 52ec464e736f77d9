"""Entry script that Mattermost (or the Go bridge) starts as ``python3 server/plugin.py``.

It must not print anything to stdout: the first stdout line is the go-plugin handshake, which the
runtime writes once its gRPC server listens. Problems before that are written to stderr, which the
server copies into its log.

In an installed bundle the plugin's Python dependencies are vendored under ``server/vendor/``
(``scripts/bundle.py``); in a checkout they come from the project's virtualenv.
"""

import os
import sys

SUPPORTED = ((3, 10), (3, 13))


def _fail(message: str) -> "None":
    sys.stderr.write("[ERROR] community-escalations: " + message + "\n")
    sys.stderr.flush()
    raise SystemExit(1)


def _prepare_path() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    vendor = os.path.join(here, "vendor")
    if os.path.isdir(vendor):
        sys.path.insert(0, vendor)
    sys.path.insert(0, here)


def main() -> None:
    low, high = SUPPORTED
    if not (low <= sys.version_info[:2] <= high):
        _fail(
            "unsupported Python %d.%d at %s; this plugin needs CPython %d.%d to %d.%d as the "
            "server's python3 (first on the Mattermost server's PATH)."
            % (sys.version_info[:2] + (sys.executable,) + low + high)
        )
    _prepare_path()
    try:
        import grpc  # noqa: F401  (probe the native extension before anything else)
    except ImportError as exc:
        _fail(
            "cannot load the gRPC library for Python %d.%d on this platform (%s). The bundle "
            "ships it for CPython 3.10-3.13 on linux x86_64 and aarch64." % (sys.version_info[:2] + (exc,))
        )
    from escalations.app.main import main as app_main

    app_main()


if __name__ == "__main__":
    main()
