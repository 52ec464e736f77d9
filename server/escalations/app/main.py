"""Process entry: ``server/plugin.py`` calls ``main()``, which hands the plugin to the runtime."""

from __future__ import annotations

from escalations.runtime.plugin import run

from .plugin import EscalationsPlugin


def main() -> None:
    run(EscalationsPlugin)
