"""Redaction functions for ``IsolatedRedactor`` tests, run inside its worker processes."""

from __future__ import annotations

import os
from pathlib import Path

from escalations.app.domain.redact import Redaction


def spin(text: str, max_chars: int, public_domains: frozenset[str]) -> Redaction:
    """Write this worker's pid to the file named by ``text``, then never answer (a match that
    holds the interpreter for ever)."""
    Path(text).write_text(str(os.getpid()))
    while True:
        pass


def crash(text: str, max_chars: int, public_domains: frozenset[str]) -> Redaction:
    os._exit(3)


def echo(text: str, max_chars: int, public_domains: frozenset[str]) -> Redaction:
    return Redaction(f"{max_chars}:{','.join(sorted(public_domains))}:{text}", len(text))
