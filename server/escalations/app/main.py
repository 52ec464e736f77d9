"""Process entry: ``server/plugin.py`` calls ``main()``, which hands the plugin to the runtime."""

from __future__ import annotations

from escalations.app.plugin import EscalationsPlugin
from escalations.runtime.plugin import run


def main() -> None:
    run(EscalationsPlugin)
