#!/usr/bin/env python3
"""Build the installable plugin bundle: ``dist/<id>-<version>.tar.gz``.

Two flavours share one Python backend:

* ``native`` -- for servers with native Python plugin support: ``server.executable`` is
  ``server/plugin.py`` with ``server.runtime: "python"``.
* ``bridge`` -- for stock Mattermost releases: ``server.executables`` are the Go bridge binaries
  (``server/bridge/dist/plugin-<os>-<arch>``), which start the same ``server/plugin.py``.

The Mattermost server installs nothing and runs whatever ``python3`` is on its PATH, so the bundle
carries its Python dependencies (grpcio, protobuf, PyYAML, typing-extensions, google-re2,
publicsuffixlist, phonenumberslite) under
``server/vendor/`` for CPython 3.10-3.13 on linux x86_64 and aarch64, packed to stay far below the
server's upload limit (``FileSettings.MaxFileSize``, 100 MiB by default on 11.x, measured on a real
server; older servers had a fixed 50 MiB ``MaximumPluginFileSize``, which we also stay under):

* pure-Python parts once (they are byte-identical across the wheels -- checked here);
* grpcio's one compiled module (``grpc/_cython/cygrpc.<abi>.so``, ~17 MB each, 8 builds) in one
  solid xz archive per architecture: the builds share most of their bytes, so xz packs four of them
  into about the size gzip needs for one. ``server/plugin.py`` extracts the build matching the
  running interpreter once, on first start;
* protobuf's abi3 extension per architecture under ``vendor/_native/linux-<arch>/`` (it is a
  namespace package, so the entry script just puts that directory on ``sys.path``);
* PyYAML without its optional C accelerator (the policy is parsed once per activation);
* RE2 (``google-re2``, the linear-time regular expressions of the redaction) per architecture under
  ``vendor/_native/linux-<arch>/re2/``: its Python module once and its extension for every CPython
  (the file names carry the ABI, so the interpreter picks its own); the wheels link RE2 and Abseil
  statically: they are tagged manylinux 2.27/2.26, but use only glibc 2.17 symbols and the system
  libstdc++ of GCC 5 or later (``GLIBCXX_3.4.21``);
* the Public Suffix List (``publicsuffixlist``, with its data) and libphonenumber's metadata
  (``phonenumberslite``, without the geocoding and carrier data) once: pure Python.

Downloads and the (slow) xz compression are cached under ``.cache/bundle/``; the two
architectures' archives are compressed at the same time (a thread each: ``lzma`` drops the GIL).
A finished bundle records the digest of everything it was built from (``<bundle>.inputs``); a build
whose inputs did not change keeps the bundle as it is, so ``make dist`` / ``make dist-native`` are
cheap to repeat, and ``--check`` tells whether a bundle is current (the bundle test uses it).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bundle"

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
ARCHES = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}
GO_PLATFORMS = {"linux-amd64": "plugin-linux-amd64", "linux-arm64": "plugin-linux-arm64"}
# Vendored runtime dependencies; keep in step with [project].dependencies in pyproject.toml.
GRPCIO = "grpcio==1.85.1"
PROTOBUF = "protobuf==7.36.2"
PYYAML = "pyyaml==6.0.3"
TYPING_EXTENSIONS = "typing-extensions==4.16.0"
# The redaction reads matches from RE2's compiled program directly: change the pin with care.
GOOGLE_RE2 = "google-re2==1.1.20251105"
PUBLICSUFFIXLIST = "publicsuffixlist==1.1.2.20261023"
PHONENUMBERSLITE = "phonenumberslite==9.0.42"
# RE2 publishes manylinux_2_28 wheels only (grpcio manylinux2014).
RE2_PLATFORMS = {"x86_64": "manylinux_2_28_x86_64", "aarch64": "manylinux_2_28_aarch64"}

SERVER_SOURCES = ("plugin.py", "escalations")
POLICY_FILES = ("*.yaml", "schema.json", "README.md")
SKIP_NAMES = {"__pycache__", ".mypy_cache", ".pytest_cache"}


class BundleError(Exception):
    """A precondition of the bundle is missing; the message says what to run."""


def _pip_download(
    requirement: str,
    dest: Path,
    *,
    python: str | None,
    arch: str | None,
    platform: str | None = None,
) -> Path:
    """Download one wheel (cached) and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    cached = _find_wheel(requirement, dest, python=python, arch=arch)
    if cached is not None:
        return cached
    args = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    args += ["-d", str(dest), requirement]
    if python:
        abi = "cp" + python.replace(".", "")
        args += [
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--abi",
            abi,
            "--abi",
            "abi3",
        ]
    if arch:
        args += ["--platform", platform or ARCHES[arch]]
    before = set(dest.iterdir())
    subprocess.run(args, check=True)
    wheel = _find_wheel(requirement, dest, python=python, arch=arch)
    if wheel is not None:
        return wheel
    raise BundleError(
        f"pip did not produce a wheel for {requirement} ({python}, {arch}); "
        f"new files: {sorted(p.name for p in set(dest.iterdir()) - before)}"
    )


def _find_wheel(
    requirement: str, dest: Path, *, python: str | None, arch: str | None
) -> Path | None:
    """The wheel of ``requirement`` for (python, arch) already in ``dest``, if any."""
    name = requirement.split("==")[0].replace("-", "_").lower()
    version = requirement.split("==")[1]
    tag_py = "cp" + python.replace(".", "") if python else ""
    for wheel in sorted(dest.glob("*.whl")):
        low = wheel.name.lower()
        if not low.startswith(f"{name}-{version}-"):
            continue
        if arch and arch not in low:
            continue
        if tag_py and f"-{tag_py}-" not in low and "abi3" not in low:
            continue
        return wheel
    return None


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def _is_dist_info(name: str) -> bool:
    return name.split("/", 1)[0].endswith(".dist-info")


def _write(dest: Path, data: bytes, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    dest.chmod(mode)


def _licenses(files: dict[str, bytes], vendor: Path, package: str) -> None:
    for name, data in files.items():
        if _is_dist_info(name) and "LICENSE" in name.upper():
            _write(vendor / "licenses" / package / Path(name).name, data)


def _vendor_grpcio(vendor: Path, wheels_dir: Path) -> None:
    """Pure part of grpcio once; the compiled module per (python, arch) into xz archives."""
    pure: dict[str, bytes] | None = None
    native: dict[str, dict[str, bytes]] = {arch: {} for arch in ARCHES}
    for arch in ARCHES:
        for python in PYTHONS:
            files = _wheel_files(_pip_download(GRPCIO, wheels_dir, python=python, arch=arch))
            so = {n: d for n, d in files.items() if n.endswith(".so")}
            rest = {
                n: d for n, d in files.items() if not n.endswith(".so") and not _is_dist_info(n)
            }
            if pure is None:
                pure = rest
                _licenses(files, vendor, "grpcio")
            elif rest != pure:
                raise BundleError(f"grpcio's pure-Python files differ for CPython {python} {arch}")
            if len(so) != 1:
                raise BundleError(
                    f"expected one compiled module in grpcio for {python} {arch}: {sorted(so)}"
                )
            ((name, data),) = so.items()
            native[arch][Path(name).name] = data
    assert pure is not None
    for name, data in pure.items():
        _write(vendor / name, data)
    with ThreadPoolExecutor(max_workers=len(native)) as pool:
        packed = dict(zip(native, pool.map(_solid_xz, native.values()), strict=True))
    for arch, data in packed.items():
        _write(vendor / "_native" / f"cygrpc-linux-{arch}.tar.xz", data)


def _solid_xz(members: dict[str, bytes]) -> bytes:
    """One xz-compressed tar of ``members``, cached by content hash (compression takes ~1 min)."""
    digest = hashlib.sha256()
    for name in sorted(members):
        digest.update(name.encode() + hashlib.sha256(members[name]).digest())
    cached = CACHE / "xz" / f"{digest.hexdigest()[:24]}.tar.xz"
    if cached.exists():
        return cached.read_bytes()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(members[name]), 0o755, 0
            tar.addfile(info, io.BytesIO(members[name]))
    # A 64 MiB dictionary lets each build reuse the bytes of the ones before it.
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9, "dict_size": 64 * 1024 * 1024}]
    packed = lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ, filters=filters)
    _write(cached, packed)
    return packed


def _vendor_protobuf(vendor: Path, wheels_dir: Path) -> None:
    pure: dict[str, bytes] | None = None
    for arch in ARCHES:
        files = _wheel_files(_pip_download(PROTOBUF, wheels_dir, python="3.10", arch=arch))
        rest = {n: d for n, d in files.items() if not n.endswith(".so") and not _is_dist_info(n)}
        if pure is None:
            pure = rest
            _licenses(files, vendor, "protobuf")
        elif rest != pure:
            raise BundleError(f"protobuf's pure-Python files differ on {arch}")
        for name, data in files.items():
            if name.endswith(".so"):
                _write(vendor / "_native" / f"linux-{arch}" / name, data, 0o755)
    assert pure is not None
    for name, data in pure.items():
        _write(vendor / name, data)


def _vendor_re2(vendor: Path, wheels_dir: Path) -> None:
    """``re2`` per architecture: the Python module once, the extension for every CPython."""
    module: dict[str, bytes] | None = None
    for arch in ARCHES:
        target = vendor / "_native" / f"linux-{arch}"
        for python in PYTHONS:
            wheel = _pip_download(
                GOOGLE_RE2, wheels_dir, python=python, arch=arch, platform=RE2_PLATFORMS[arch]
            )
            files = _wheel_files(wheel)
            so = {n: d for n, d in files.items() if n.endswith(".so")}
            rest = {
                n: d for n, d in files.items() if not n.endswith(".so") and not _is_dist_info(n)
            }
            if module is None:
                module = rest
                _licenses(files, vendor, "google-re2")
            elif rest != module:
                raise BundleError(f"google-re2's Python files differ for CPython {python} {arch}")
            if len(so) != 1 or any(n.count("/") != 1 for n in so):
                raise BundleError(f"expected one re2 extension for {python} {arch}: {sorted(so)}")
            for name, data in so.items():
                _write(target / name, data, 0o755)
        assert module is not None
        for name, data in module.items():
            _write(target / name, data)


def _vendor_pure(vendor: Path, wheels_dir: Path, requirement: str, package: str) -> None:
    # PyYAML has no pure wheel: take one CPython build and drop its optional C accelerator.
    compiled = package == "pyyaml"
    wheel = _pip_download(
        requirement,
        wheels_dir,
        python="3.11" if compiled else None,
        arch="x86_64" if compiled else None,
    )
    files = _wheel_files(wheel)
    _licenses(files, vendor, package)
    for name, data in files.items():
        if not name.endswith(".so") and not _is_dist_info(name):
            _write(vendor / name, data)


def _manifest(flavour: str) -> dict[str, object]:
    manifest: dict[str, Any] = json.loads((ROOT / "plugin.json").read_text())
    server = dict(manifest["server"])
    if flavour == "bridge":
        server = {
            "executables": {plat: f"server/dist/{binary}" for plat, binary in GO_PLATFORMS.items()}
        }
    manifest["server"] = server
    return manifest


def _sources(flavour: str) -> dict[str, Path]:
    """Every file the bundle is made from, by its path in the bundle (the vendored wheels are
    pinned by version in this script, which is itself an input)."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    webapp = ROOT / manifest["webapp"]["bundle_path"]
    stubs = ROOT / "server" / "escalations" / "runtime" / "_pb"
    for needed, how in ((webapp, "make webapp"), (stubs, "make gen")):
        if not needed.exists():
            raise BundleError(f"{needed.relative_to(ROOT)} is missing: run `{how}` first")
    files = {"LICENSE": ROOT / "LICENSE", manifest["webapp"]["bundle_path"]: webapp}
    files.update({f"assets/{rel}": path for rel, path in _tree(ROOT / "assets")})
    for pattern in POLICY_FILES:
        for path in sorted((ROOT / "policy").glob(pattern)):
            files[f"policy/{path.name}"] = path
    for name in SERVER_SOURCES:
        src = ROOT / "server" / name
        if src.is_dir():
            files.update({f"server/{name}/{rel}": path for rel, path in _tree(src)})
        else:
            files[f"server/{name}"] = src
    if flavour == "bridge":
        for binary in GO_PLATFORMS.values():
            built = ROOT / "server" / "bridge" / "dist" / binary
            if not built.exists():
                raise BundleError(f"{built.relative_to(ROOT)} is missing: run `make bridge` first")
            files[f"server/dist/{binary}"] = built
    return files


def _tree(src: Path) -> list[tuple[str, Path]]:
    """The regular files under ``src`` that ship (no caches, no bytecode), by relative path."""
    found = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part in SKIP_NAMES for part in rel.parts) or path.suffix == ".pyc" or path.is_dir():
            continue
        found.append((rel.as_posix(), path))
    return found


def inputs_digest(flavour: str) -> str:
    """A digest of everything ``build(flavour)`` reads: same digest, same bundle."""
    digest = hashlib.sha256(flavour.encode())
    digest.update((ROOT / "plugin.json").read_bytes())
    digest.update(Path(__file__).resolve().read_bytes())
    for name, path in sorted(_sources(flavour).items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def target_path(flavour: str, out_dir: Path) -> Path:
    manifest = json.loads((ROOT / "plugin.json").read_text())
    suffix = "" if flavour == "bridge" else "-native"
    return out_dir / f"{manifest['id']}-{manifest['version']}{suffix}.tar.gz"


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".inputs")


def is_current(flavour: str, target: Path) -> bool:
    """Whether ``target`` exists and was built from today's inputs."""
    stamp = _stamp(target)
    if not target.exists() or not stamp.exists():
        return False
    return stamp.read_text().strip() == inputs_digest(flavour)


def build(flavour: str, out_dir: Path) -> Path:
    """Build the bundle into ``out_dir``, unless the one there is already current."""
    target = target_path(flavour, out_dir)
    digest = inputs_digest(flavour)
    if target.exists() and _stamp(target).exists() and _stamp(target).read_text() == digest:
        return target
    _stamp(target).unlink(missing_ok=True)
    manifest = json.loads((ROOT / "plugin.json").read_text())
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        stage = Path(tmp) / manifest["id"]
        _write(stage / "plugin.json", (json.dumps(_manifest(flavour), indent=4) + "\n").encode())
        for name, path in _sources(flavour).items():
            executable = name == "server/plugin.py" or name.startswith("server/dist/")
            _write(stage / name, path.read_bytes(), 0o755 if executable else 0o644)
        vendor, wheels = stage / "server" / "vendor", CACHE / "wheels"
        _vendor_grpcio(vendor, wheels)
        _vendor_protobuf(vendor, wheels)
        _vendor_pure(vendor, wheels, PYYAML, "pyyaml")
        _vendor_pure(vendor, wheels, TYPING_EXTENSIONS, "typing-extensions")
        _vendor_re2(vendor, wheels)
        _vendor_pure(vendor, wheels, PUBLICSUFFIXLIST, "publicsuffixlist")
        _vendor_pure(vendor, wheels, PHONENUMBERSLITE, "phonenumberslite")
        out_dir.mkdir(parents=True, exist_ok=True)
        _tar(stage, target)
    _stamp(target).write_text(digest)
    return target


def _tar(stage: Path, target: Path) -> None:
    """Deterministic tar.gz of ``stage`` (regular files and directories only: the server drops
    every other entry type when it extracts an uploaded bundle)."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with tarfile.open(target, "w:gz", compresslevel=9) as tar:
        for path in [stage, *sorted(stage.rglob("*"))]:
            arcname = str(path.relative_to(stage.parent))
            tar.add(path, arcname=arcname, recursive=False, filter=clean)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flavour", choices=("native", "bridge"), required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--check", action="store_true", help="exit 0 if the bundle is current, 1 if not"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            target = target_path(args.flavour, args.out)
            current = is_current(args.flavour, target)
            print(f"bundle: {target} is {'current' if current else 'missing or stale'}")
            return 0 if current else 1
        target = build(args.flavour, args.out)
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    size = target.stat().st_size
    print(
        f"bundle: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} "
        f"{size / 1024 / 1024:.1f} MiB ({size} bytes; "
        "upload limit: 100 MiB by default, 50 MiB on old servers)"
    )
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    raise SystemExit(main())
