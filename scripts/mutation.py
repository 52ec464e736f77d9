#!/usr/bin/env python3
"""Mutation testing of the security- and data-critical modules (``make mutation``).

Runs mutmut on a staged copy of the tree (``build/mutation``), in which the Python package sits
under ``src/`` where mutmut expects it, and the in-process test files below are the suite. mutmut
runs each mutant only against the tests that execute the mutated function. Tests that go through
the host emulator start the plugin as a separate process, which mutmut cannot trace, so they are
not part of this measure (they still run in ``make test``).

Prints the score per module (killed / (killed + survived); mutants that no test reaches count as
survivors) and every surviving mutant as a diff. Exit status 0 whatever the score: it is a measure,
not a gate.

    scripts/mutation.py                         # every critical module
    scripts/mutation.py escalations.app.workflow.store   # one module (faster)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ROOT / "build" / "mutation"
MUTMUT = Path(sys.executable).parent / "mutmut"

# module -> its file under server/
MODULES = {
    # authorization, use cases
    "escalations.app.workflow.service": "escalations/app/workflow/service.py",
    "escalations.app.domain.transitions": "escalations/app/domain/transitions.py",  # state rules
    "escalations.app.workflow.store": "escalations/app/workflow/store.py",  # compare-and-set
    # who is who: ids, never names
    "escalations.app.domain.identity": "escalations/app/domain/identity.py",
    # who may act on an escalation
    "escalations.app.workflow.guard": "escalations/app/workflow/guard.py",
    # who may escalate, how often
    "escalations.app.workflow.gate": "escalations/app/workflow/gate.py",
    "escalations.app.domain.redact": "escalations/app/domain/redact.py",  # personal data
    "escalations.app.domain.redaction": "escalations/app/domain/redaction/__init__.py",
    "escalations.app.domain.redaction.linear": "escalations/app/domain/redaction/linear.py",
    "escalations.app.domain.redaction.network": "escalations/app/domain/redaction/network.py",
    "escalations.app.domain.redaction.normalise": "escalations/app/domain/redaction/normalise.py",
    "escalations.app.domain.redaction.numbers": "escalations/app/domain/redaction/numbers.py",
    "escalations.app.domain.redaction.secrets": "escalations/app/domain/redaction/secrets.py",
    "escalations.app.domain.redaction.spans": "escalations/app/domain/redaction/spans.py",
    # request parsing, identity
    "escalations.app.presentation.routes": "escalations/app/presentation/routes.py",
    "escalations.runtime.http": "escalations/runtime/http.py",  # request parsing, identity header
}

# In-process tests (no plugin process); ``-k`` drops the emulator cases of mixed files.
TESTS = [
    "tests/app/test_kv_store.py",
    "tests/app/test_store_races.py",
    "tests/app/test_store_bites.py",
    "tests/app/test_service.py",
    "tests/app/test_service_bites.py",
    "tests/app/test_workflow_rules.py",
    "tests/app/test_anonymous_requests.py",
    "tests/app/test_routes.py",
    "tests/app/test_transitions.py",
    "tests/app/test_identity.py",
    "tests/app/test_identity_bites.py",
    "tests/app/test_guard_bites.py",
    "tests/app/test_gate.py",
    "tests/app/test_ownership.py",
    "tests/app/test_service_hardening.py",
    "tests/app/test_model_keys.py",
    "tests/app/test_errors.py",
    "tests/app/test_render_note.py",
    "tests/app/test_http_input.py::test_unusable_json_is_a_400",
    "tests/app/test_http_input.py::test_paired_surrogates_are_fine",
    "tests/runtime/test_runtime_http.py",
    "tests/runtime/test_http_bites.py",
    "tests/runtime/test_router_methods.py",
    "tests/app/test_routes_bites.py",
    "tests/app/test_store_bites2.py",
    "tests/app/test_transitions_bites.py",
    "tests/app/test_gate_bites.py",
    "tests/app/test_identity_bites2.py",
    "tests/app/test_link_escalation.py",
    "tests/app/test_button_answer.py",
    "tests/app/test_official.py",
    "tests/app/test_service_bites2.py",
    "tests/app/test_jsonmap.py",
    "tests/app/test_afterwards.py",
    "tests/app/test_recent_copy.py",
    "tests/app/test_store_reindex_order.py",
    "tests/app/test_gate_reads.py",
    "tests/app/test_escalate_reads.py",
    "tests/app/test_service_bites3.py",
    "tests/app/test_reserve_and_count.py",
    "tests/app/test_edge.py",
    "tests/app/test_export.py",
    "tests/app/test_ledger.py",
    "tests/app/test_links.py",
    "tests/runtime/test_runtime_hooks.py",
]
# Test files that use a critical module but are not in the suite, and why;
# ``tests/test_mutation_selection.py`` holds every other such file to being in TESTS or
# REDACTION_TESTS.
LEFT_OUT = {
    "tests/app/test_e2e_crash.py": "reaches the modules only through a plugin process",
    "tests/app/test_e2e_redaction.py": "reaches the modules only through a plugin process",
    "tests/app/test_fuzz_http.py": "reaches the modules only through a plugin process",
    "tests/app/test_shared_constants.py": "compares constants with files outside the staged copy",
}
# The redaction suites: only when a redaction module is mutated, and alone when only redaction
# modules are. mutmut runs every selected test once before mutating, whatever the module, and the
# Hypothesis properties once per mutant: they run with PROPERTY_EXAMPLES examples here (300 in
# ``make test``), the example-based files carry the score.
PROPERTY_EXAMPLES = 10
REDACTION_TESTS = [
    "tests/app/test_redact.py",
    "tests/app/test_redact_boundaries.py",
    "tests/app/test_redact_props.py",
    "tests/app/test_redact_gaps.py",
    "tests/app/test_redact_corpus.py",
    "tests/app/test_redact_corpus_cases.py",
    "tests/app/test_redact_bites.py",
    "tests/app/test_redaction_parts_bites.py",
    "tests/app/test_redact_numbers_bites.py",
    "tests/app/test_redact_secrets_bites.py",
    "tests/app/test_redact_network_bites.py",
]
DESELECT = "not through_the_emulator"
COPIED = ["tests", "policy", "plugin.json", "README.md"]


def stage_dir(modules: list[str]) -> Path:
    """One staged copy per selection, so a run of one module keeps the results of another."""
    if modules == list(MODULES):
        return STAGES / "all"
    name = "+".join(modules)
    if len(name) > 120:  # a file name has at most 255 bytes: a long selection by its digest
        name = f"{len(modules)}-modules-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return STAGES / name


def stage(modules: list[str]) -> None:
    """A fresh copy of the tree in mutmut's layout, with a pyproject that configures it."""
    stage_path = stage_dir(modules)
    if stage_path.exists():
        shutil.rmtree(stage_path)
    (stage_path / "src").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "_pb", "*.pyc")
    shutil.copytree(
        ROOT / "server" / "escalations", stage_path / "src" / "escalations", ignore=ignore
    )
    # generated stubs: copied as they are, never mutated
    shutil.copytree(
        ROOT / "server" / "escalations" / "runtime" / "_pb",
        stage_path / "src" / "escalations" / "runtime" / "_pb",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, stage_path / name, ignore=ignore)
        else:
            shutil.copy2(source, stage_path / name)
    lines = _pytest_section()
    lines += [
        "",
        "[tool.mutmut]",
        'source_paths = ["src"]',
        f"only_mutate = {_toml(['src/' + MODULES[m] for m in modules])}",
        f"also_copy = {_toml(COPIED)}",
        f"pytest_add_cli_args_test_selection = {_toml(_tests(modules))}",
        f"pytest_add_cli_args = {_toml(['-p', 'no:cacheprovider', '-k', DESELECT])}",
        # log calls change nothing a test should see
        "do_not_mutate_patterns = ['log\\.']",
        # Stats and mutants run in children of a clean fork server: forked straight from the
        # process that ran the suite (mutmut's default), a mutant inherits the threads the code
        # under test started (fan-out pools, the delayed-call thread) and the locks they held,
        # and can hang until its time limit, counted as killed.
        'process_isolation = "forkserver"',
        # A mutant's time limit is (its tests' measured time + this) x 15: on a loaded machine a
        # mutant whose tests take a second otherwise hits it before they finish, and a surviving
        # mutant would count as killed (timeout).
        "timeout_constant = 10.0",
    ]
    (stage_path / "pyproject.toml").write_text("\n".join(lines) + "\n")


def _tests(modules: list[str]) -> list[str]:
    redaction = [m.startswith("escalations.app.domain.redact") for m in modules]
    if all(redaction):
        return REDACTION_TESTS
    return TESTS + REDACTION_TESTS if any(redaction) else TESTS


def _pytest_section() -> list[str]:
    """The repository's pytest settings, with ``pythonpath`` reduced to ``tests`` (mutmut puts
    the mutated ``src/`` first on ``sys.path`` itself)."""
    text = (ROOT / "pyproject.toml").read_text()
    section = re.search(r"^\[tool\.pytest\.ini_options\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        raise SystemExit("pyproject.toml has no [tool.pytest.ini_options]")
    body = re.sub(r"^pythonpath = .*$", 'pythonpath = ["tests"]', section.group(1), flags=re.M)
    return ["[tool.pytest.ini_options]", *body.rstrip().splitlines()]


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(value)


def run(modules: list[str], max_children: int) -> None:
    subprocess.run(
        [str(MUTMUT), "run", "--max-children", str(max_children)],
        cwd=stage_dir(modules),
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ESCALATIONS_PROPERTY_EXAMPLES": str(PROPERTY_EXAMPLES)},
    )


def report(modules: list[str]) -> int:
    stage_path = stage_dir(modules)
    out = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"],
        cwd=stage_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    results: dict[str, Counter[str]] = {m: Counter() for m in modules}
    survivors: list[tuple[str, str]] = []
    for line in out.splitlines():
        match = re.match(r"\s+(\S+): (.+)$", line)
        if not match:
            continue
        name, status = match.groups()
        # the longest module name that prefixes the mutant's (a package and its modules)
        owners = [m for m in modules if name.startswith(m + ".")]
        if not owners:
            continue
        module = max(owners, key=len)
        results[module][status] += 1
        if status != "killed":
            survivors.append((name, status))
    print(f"{'module':34} {'mutants':>7} {'killed':>7} {'survived':>8} {'no test':>7} {'score':>6}")
    total_killed = total = 0
    for module, counts in results.items():
        killed = counts["killed"] + counts["timeout"] + counts["caught by type check"]
        n = sum(counts.values())
        total_killed, total = total_killed + killed, total + n
        score = 100 * killed / n if n else 100.0
        print(
            f"{module:34} {n:7} {killed:7} {counts['survived']:8} {counts['no tests']:7} "
            f"{score:5.1f}%"
        )
    if total:
        overall = 100 * total_killed / total
        print(f"{'all':34} {total:7} {total_killed:7} {'':8} {'':7} {overall:5.1f}%")
    if survivors:
        print(f"\nsurviving mutants ({len(survivors)}):")
    for name, status in survivors:
        diff = subprocess.run(
            [str(MUTMUT), "show", name], cwd=stage_path, capture_output=True, text=True
        ).stdout
        changed = [
            ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
        ]
        print(f"- {name} ({status})")
        for ln in changed:
            print(f"    {ln.strip()[:110]}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: {' '.join(MODULES)}")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument(
        "--report-only", action="store_true", help="print the results of the last run again"
    )
    args = parser.parse_args()
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"not a critical module: {', '.join(unknown)}")
    if not MUTMUT.exists():
        print(f"{MUTMUT} is missing: run `make setup` (mutmut is a dev dependency)")
        return 2
    if not args.report_only:
        stage(modules)
        run(modules, args.max_children)
    return report(modules)


if __name__ == "__main__":
    sys.exit(main())
