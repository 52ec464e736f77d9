"""The app's folders are layers: an import may only point down (contracts in pyproject.toml)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    command = [str(Path(sys.executable).parent / "lint-imports"), "--config", str(config)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_every_layer_contract_is_kept() -> None:
    run = _lint_imports(REPO / "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_an_arrow_pointing_up_breaks_a_contract(tmp_path: Path) -> None:
    """The same checker, told the layers the other way round, reports the real imports."""
    config = tmp_path / "upside-down.ini"
    config.write_text(
        "[importlinter]\nroot_package = escalations\n\n"
        "[importlinter:contract:upside-down]\nname = upside down\ntype = layers\n"
        "layers =\n    escalations.app.domain\n    escalations.app.workflow\n"
    )
    run = _lint_imports(config)
    assert run.returncode != 0
    assert "escalations.app.workflow" in run.stdout and "BROKEN" in run.stdout
