"""Process entry: ``server/plugin.py`` calls ``main()``, which hands the plugin to the runtime."""

from __future__ import annotations

from escalations.runtime.plugin import run

from .plugin import EscalationsPlugin
from .redaction import warm_up


def main() -> None:
    warm_up()  # the redaction's Public Suffix List loads while the server connects
    run(EscalationsPlugin)
