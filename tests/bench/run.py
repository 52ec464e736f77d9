#!/usr/bin/env python3
"""Run every benchmark (``make bench``): each ``tests/bench/bench_*.py`` exposes ``main()`` and
prints its own figures. Timings are printed, never asserted."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    root = HERE.parent.parent
    sys.path[:0] = [str(root / "server"), str(root / "tests")]
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        print(f"== {path.stem}", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        started = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # report and go on with the other benchmarks
            failed.append(path.stem)
            print(f"   FAILED: {exc!r}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    if failed:
        print("failed benchmarks: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
