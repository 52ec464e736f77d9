"""The `escalations` command line, run the way an admin runs it: the installed console script
and `python -m escalations`, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from policy_testing import NEWEST, OLDER, REPO, fixture

SCRIPT = Path(sys.executable).parent / "escalations"
ENTRY_POINTS = {
    "console-script": [str(SCRIPT)],
    "python-m": [sys.executable, "-m", "escalations"],
}


def run(
    *args: str | Path, entry: str = "console-script", stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRY_POINTS[entry], *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=REPO,
        timeout=60,
    )


def test_console_script_is_installed() -> None:
    assert SCRIPT.exists(), "run the README's set-up command (pip install -e '.[dev]')"


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_check_bundled_policy_is_valid_with_warnings(entry: str) -> None:
    done = run("policy", "check", "policy/community-response.yaml", entry=entry)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        'warning: policy/community-response.yaml: roles[10].members: role "CRO" has no members; '
        "topics that lose an approved responder: product-gdpr, licensing; topics that lose a "
        "loop-in: privacy-telemetry, packaging"
    )
    assert len(lines) == 7
    assert lines[-1] == (
        'policy/community-response.yaml: valid, 6 warnings: "Community response policy" '
        "(version 2020-community-response), 9 topics, 11 roles"
    )
    assert done.stderr == ""


def test_check_older_policy() -> None:
    done = run("policy", "check", OLDER)
    assert done.returncode == 0
    assert f'warning: {OLDER}: roles[3]: role "VP Finance"' in done.stdout
    assert done.stdout.splitlines()[-1].startswith(f"{OLDER}: valid, 7 warnings")


def test_check_lists_every_error_and_exits_1() -> None:
    path = fixture("error-many.yaml")
    done = run("policy", "check", path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 8
    assert all(line.startswith(f"error: {path}: ") for line in lines[:7])
    assert f'error: {path}: topics[0].approved_responders[1]: unknown role "Legal"' in done.stdout
    assert lines[-1] == f"{path}: not valid: 7 errors"


def test_check_missing_file_exits_1() -> None:
    done = run("policy", "check", "no/such/file.yaml")
    assert done.returncode == 1
    assert done.stdout.startswith("error: no/such/file.yaml: cannot read the file")


def test_check_reads_stdin() -> None:
    done = run("policy", "check", "-", stdin=fixture("valid-minimal.yaml").read_text())
    assert done.returncode == 0
    assert done.stdout.startswith("<stdin>: valid, 0 warnings")


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_route_json(entry: str) -> None:
    done = run("policy", "route", NEWEST, "illicit-use", "--json", entry=entry)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "topic": "illicit-use",
        "responders": ["nirosha.ruwan", "kendra.neidziejko"],
        "loop_in": ["ian.tien"],
        "default_owner": "nirosha.ruwan",
        "template_response": None,
        "empty_roles": {"responders": [], "loop_in": []},
    }


def test_route_json_names_the_roles_with_nobody() -> None:
    done = run("policy", "route", NEWEST, "product-gdpr", "--json")
    assert json.loads(done.stdout)["empty_roles"] == {"responders": ["CRO"], "loop_in": []}
    done = run("policy", "route", NEWEST, "privacy-telemetry", "--json")
    assert json.loads(done.stdout)["empty_roles"] == {"responders": [], "loop_in": ["CRO"]}


def test_route_json_with_template_and_older_policy() -> None:
    done = run("policy", "route", fixture("valid-minimal.yaml"), "illicit-use", "--json")
    assert json.loads(done.stdout)["template_response"] == (
        "We do not discuss individual cases in public."
    )
    done = run("policy", "route", OLDER, "packaging", "--json")
    assert json.loads(done.stdout)["default_owner"] == "lindsay.brock"


def test_route_json_without_people_has_null_owner() -> None:
    done = run("policy", "route", fixture("warnings.yaml"), "packaging", "--json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["responders"] == [] and document["default_owner"] is None


def test_route_text() -> None:
    done = run("policy", "route", NEWEST, "packaging")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "Topic: Packaging (packaging)",
        "Approved responders: @katie.wiersgalla (Katie Wiersgalla; Lead PM), "
        "@chen-i.lim (Chen-i Lim; VP Product), @corey.hulen (Corey Hulen; CTO)",
        "Loop in: @ian.tien (Ian Tien; CEO), CRO: nobody in this role",
        "Default owner: @katie.wiersgalla (Katie Wiersgalla; Lead PM)",
        "Template response: none yet",
    ]


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_route_unknown_topic_exits_2_listing_valid_keys(entry: str) -> None:
    done = run("policy", "route", NEWEST, "gdpr", "--json", entry=entry)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        'escalations: unknown topic "gdpr"; valid topics: privacy-telemetry, product-gdpr, '
        "licensing, packaging, workplace-policies, security-vulnerabilities, illicit-use, "
        "marketing-gdpr, government-data-request\n"
    )


def test_route_invalid_policy_exits_1() -> None:
    done = run("policy", "route", fixture("error-unknown-role.yaml"), "packaging", "--json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert 'unknown role "X"' in done.stderr


def test_diff() -> None:
    done = run("policy", "diff", OLDER, NEWEST)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == (
        '- Version changes from "2019-community-escalations" to "2020-community-response".'
    )
    assert "- Role added: CRO, held by nobody." in lines
    assert all(line.startswith("- ") for line in lines)


def test_diff_no_changes() -> None:
    done = run("policy", "diff", NEWEST, NEWEST)
    assert done.returncode == 0
    assert done.stdout == "No changes.\n"


def test_diff_invalid_side_exits_1() -> None:
    done = run("policy", "diff", NEWEST, fixture("error-duplicate-topic.yaml"))
    assert done.returncode == 1
    assert "duplicate" in done.stderr or "defined twice" in done.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["policy"], ["policy", "check"], ["policy", "frobnicate"], ["policy", "route", "x"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert "usage: escalations" in done.stderr


def test_help_names_the_program() -> None:
    done = run("policy", "--help", entry="python-m")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: escalations policy")


def test_main_is_callable_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from escalations.cli import main

    assert main(["policy", "route", str(NEWEST), "licensing", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["responders"] == ["jason.blais", "ian.tien"]
