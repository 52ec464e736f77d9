"""This plugin's identity, read from ``plugin.json`` at the root of the repository or the bundle
(both keep this package at ``server/escalations/``), so the id is written in one place only."""

from __future__ import annotations

import json
from pathlib import Path

# The ``escalations`` package folder, wherever this module sits inside it.
_PACKAGE = next(p for p in Path(__file__).resolve().parents if p.name == "escalations")
PLUGIN_JSON = _PACKAGE.parents[1] / "plugin.json"


def plugin_id(path: Path = PLUGIN_JSON) -> str:
    """The plugin id, lower-cased as the server reads it.

    Raises:
        RuntimeError: ``plugin.json`` is missing or has no id (a broken checkout or bundle).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read the plugin id from {path}: {exc}") from exc
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise RuntimeError(f"{path} has no plugin id")
    return value.lower()
