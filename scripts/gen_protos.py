#!/usr/bin/env python3
"""Generate the Python gRPC stubs from the project's own ``.proto`` files.

Usage: ``python scripts/gen_protos.py`` (``make gen``). Reads
``server/escalations/runtime/proto/**.proto`` and writes ``*_pb2.py`` and ``*_pb2_grpc.py`` into
``server/escalations/runtime/_pb/`` (git-ignored, excluded from lint, never edited by hand), with
typed stubs beside them (``*_pb2.pyi``, ``*_pb2_grpc.pyi``) from mypy-protobuf's protoc plugins,
which the dev extras install into the virtualenv next to this interpreter.

The protos are laid out by package (``mattermost/pluginapi/v1/``, ``grpc/health/v1/``) so their
descriptor names are unique in the protobuf pool and the Go bridge can generate from the same
tree with ``-I server/escalations/runtime/proto``. protoc emits absolute imports such as
``from mattermost.pluginapi.v1 import common_pb2``; they are rewritten to
``escalations.runtime._pb.mattermost.pluginapi.v1`` so the stubs work as an ordinary subpackage.

Output is built in a temporary directory and swapped in with a rename, so a concurrent reader
never sees a half-written package.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]  # grpcio-tools has no stubs

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "server" / "escalations" / "runtime"
PROTO_ROOT = RUNTIME / "proto"
OUT = RUNTIME / "_pb"
PACKAGE = "escalations.runtime._pb"
# Top-level proto packages whose generated imports must be re-rooted under PACKAGE.
_IMPORT_RE = re.compile(r"^(from|import) (mattermost\.pluginapi\.v1|grpc\.health\.v1)\b", re.M)


def _proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))


def _run_protoc(out_dir: Path, files: list[str]) -> None:
    well_known = str(resources.files("grpc_tools") / "_proto")
    bin_dir = Path(sys.executable).parent
    for plugin in ("protoc-gen-mypy", "protoc-gen-mypy_grpc"):
        if not (bin_dir / plugin).exists():
            raise SystemExit(f"{bin_dir / plugin} is missing: run `make setup` (mypy-protobuf)")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        # Servicers as at run time: a method left out answers UNIMPLEMENTED (not abstract).
        "--mypy_grpc_opt=only_sync,generate_concrete_servicer_stubs",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def _rewrite_imports(out_dir: Path) -> None:
    for path in list(out_dir.rglob("*.py")) + list(out_dir.rglob("*.pyi")):
        text = path.read_text(encoding="utf-8")
        new = _IMPORT_RE.sub(lambda m: f"{m.group(1)} {PACKAGE}.{m.group(2)}", text)
        if new != text:
            path.write_text(new, encoding="utf-8")


def _add_init_files(out_dir: Path) -> None:
    (out_dir / "__init__.py").write_text('"""Generated gRPC stubs (make gen)."""\n')
    for directory in out_dir.rglob("*"):
        if directory.is_dir() and not (directory / "__init__.py").exists():
            (directory / "__init__.py").write_text("")


def main() -> int:
    files = _proto_files()
    if not files:
        print(f"no .proto files under {PROTO_ROOT}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="_pb.", dir=RUNTIME) as tmp:
        staged = Path(tmp) / "_pb"
        staged.mkdir()
        _run_protoc(staged, files)
        _rewrite_imports(staged)
        _add_init_files(staged)
        old = Path(tmp) / "_pb.old"
        if OUT.exists():
            OUT.rename(old)
        staged.rename(OUT)
        shutil.rmtree(old, ignore_errors=True)
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
