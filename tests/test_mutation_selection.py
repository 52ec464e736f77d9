"""``make mutation`` measures the critical modules against a hand-kept list of in-process test
files (``scripts/mutation.py``). A new test file of those modules that is not on the list would
leave its mutants counted as survivors: every file under ``tests/app`` and ``tests/runtime`` that
imports a critical module, or the in-process ``World`` of the service tests, is on the list or
left out with a reason (``LEFT_OUT``)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts/mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _uses_a_critical_module(text: str, modules: list[str]) -> bool:
    names = [*modules, "app.test_service"]
    return any(re.search(rf"^\s*(from|import) {re.escape(n)}\b", text, re.M) for n in names)


def test_every_in_process_test_of_a_critical_module_is_selected() -> None:
    mutation = _mutation()
    listed = {t.split("::")[0] for t in [*mutation.TESTS, *mutation.REDACTION_TESTS]}
    known = listed | set(mutation.LEFT_OUT)
    files = sorted([*ROOT.glob("tests/app/test_*.py"), *ROOT.glob("tests/runtime/test_*.py")])
    missing = [
        str(f.relative_to(ROOT))
        for f in files
        if str(f.relative_to(ROOT)) not in known
        and _uses_a_critical_module(f.read_text(), list(mutation.MODULES))
    ]
    assert missing == [], f"add to TESTS (or LEFT_OUT, with why) in scripts/mutation.py: {missing}"


def test_every_selected_file_exists() -> None:
    mutation = _mutation()
    named = [*mutation.TESTS, *mutation.REDACTION_TESTS, *mutation.LEFT_OUT]
    gone = [t for t in named if not (ROOT / t.split("::")[0]).is_file()]
    assert gone == []


def test_the_rule_sees_an_import_of_a_critical_module() -> None:
    modules = list(_mutation().MODULES)
    assert _uses_a_critical_module("from escalations.app.workflow.gate import Gate\n", modules)
    assert _uses_a_critical_module("from app.test_service import World\n", modules)
    assert not _uses_a_critical_module("from escalations.app.workflow.fanout import X\n", modules)
