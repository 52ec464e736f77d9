"""``python -m escalations``: the same command line as the ``escalations`` console script."""

from __future__ import annotations

import sys

from escalations.cli import main

if __name__ == "__main__":
    sys.argv[0] = "escalations"
    raise SystemExit(main())
