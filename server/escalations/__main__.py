"""``python -m escalations``: the same command line as the ``escalations`` console script."""

from __future__ import annotations

from escalations.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
