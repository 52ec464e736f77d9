"""Benchmark of the policy layer: load+validate of the bundled policy, and 10,000 routings.

Run alone: ``.venv/bin/python tests/bench/bench_policy.py`` (or ``main()`` from a runner).
Prints figures; asserts nothing about them (timings depend on the machine).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    import escalations.policy  # noqa: F401
except ImportError:  # run from a checkout without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))

from escalations.policy import _yaml, bundled_policy_path, load_policy_file, may_engage, route

LOAD_REPEATS = 50
ROUTINGS = 10_000


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def bench_load(repeats: int = LOAD_REPEATS, pure_python: bool = False) -> list[float]:
    """Seconds per load+validate (read, parse, validate, warnings) of the bundled policy.

    ``pure_python`` parses without libyaml, as the plugin bundle does.
    """
    path = bundled_policy_path()
    default = _yaml.DEFAULT_LOADER
    if pure_python:
        _yaml.DEFAULT_LOADER = _yaml.PureLoader
    try:
        return [_timed(lambda: load_policy_file(path)) for _ in range(repeats)]
    finally:
        _yaml.DEFAULT_LOADER = default


def bench_routing(count: int = ROUTINGS) -> tuple[float, float]:
    """Seconds for ``count`` routings and ``count`` may_engage checks, cycling over the topics."""
    result = load_policy_file(bundled_policy_path())
    policy = result.policy
    assert policy is not None, [str(e) for e in result.errors]
    keys = list(itertools.islice(itertools.cycle(policy.topic_keys), count))

    def routings() -> None:
        for key in keys:
            route(policy, key)

    def engagements() -> None:
        for key in keys:
            may_engage(policy, "ian.tien", key)

    return _timed(routings), _timed(engagements)


def main() -> None:
    routing_s, engage_s = bench_routing()
    print(f"policy: bundled policy {bundled_policy_path().name}")
    for label, pure in (("libyaml", False), ("pure-Python YAML, as bundled", True)):
        loads = bench_load(pure_python=pure)
        print(
            f"policy: load+validate ({label}): median {statistics.median(loads) * 1e3:.2f} ms, "
            f"min {min(loads) * 1e3:.2f} ms ({len(loads)} runs)"
        )
    print(
        f"policy: {ROUTINGS:,} routings: {routing_s * 1e3:.1f} ms total, "
        f"{routing_s / ROUTINGS * 1e6:.1f} us each"
    )
    print(
        f"policy: {ROUTINGS:,} may_engage checks: {engage_s * 1e3:.1f} ms total, "
        f"{engage_s / ROUTINGS * 1e6:.1f} us each"
    )


if __name__ == "__main__":
    main()
