#!/usr/bin/env python3
"""Write ``webapp/test/fixtures/topics.json``: the body of ``GET /api/v1/topics`` for the bundled
policy, as the plugin answers it when every person the policy names exists and is active.

The webapp's unit and browser tests load this file instead of hand-written topics, so what they
show (and the README screenshot taken from the browser test) is the real policy.
``tests/app/test_webapp_fixture.py`` checks it against the running plugin; re-run this script after
changing the policy or the shape of the answer::

    .venv/bin/python scripts/export_topics_fixture.py          # write the file
    .venv/bin/python scripts/export_topics_fixture.py --check  # exit 1 if it is stale

It calls the function the route serves (``ActivePolicy.to_api``) on the bundled policy, built the
way activation builds it, with every policy username reported active. No server is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "webapp" / "test" / "fixtures" / "topics.json"

sys.path.insert(0, str(ROOT / "server"))

from escalations.app.domain import active_policy  # noqa: E402
from escalations.app.domain.identity import Account, Resolution  # noqa: E402
from escalations.policy import bundled_policy_path, load_policy_file  # noqa: E402


def _all_active(usernames: Iterable[str]) -> Resolution:
    """Every name an active account of that name (the ids are not part of the answer)."""
    return Resolution({name: Account(name, f"id-{name}", name) for name in usernames}, ())


def topics_answer() -> object:
    """The ``GET /api/v1/topics`` body for the bundled policy, everyone present."""
    result = load_policy_file(bundled_policy_path())
    if result.policy is None or not result.ok:
        raise SystemExit("bundled policy invalid: " + "; ".join(map(str, result.errors)))
    built = active_policy.build(result.policy, "bundled default", _all_active)
    return built.to_api()


def render(data: object) -> str:
    """Stable, reviewable text: two-space indent, key order as the server sends it, UTF-8."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--output", type=Path, default=FIXTURE, help="where to write")
    args = parser.parse_args(argv)
    text = render(topics_answer())
    out: Path = args.output
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            print(f"{out} is out of date; run scripts/export_topics_fixture.py", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
