"""The excerpt's bounds: only the window that can be shown is redacted, in a worker process with
a deadline, so one crafted message cannot stall other requests."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from escalations.app.domain import redact
from escalations.app.workflow import excerpt
from escalations.app.workflow.excerpt import ELLIPSIS, WINDOW_MARGIN, WITHHELD, IsolatedRedactor


def test_window_keeps_short_text_whole() -> None:
    assert excerpt.window("short text", 500) == "short text"
    assert excerpt.window("anything", 0) == ""


def test_window_of_a_long_post_is_the_excerpt_plus_a_margin() -> None:
    text = ("word " * 4000).strip()  # 19 999 characters, like a post at the server's limit
    shown = excerpt.window(text, 500)
    assert len(shown) <= 500 + WINDOW_MARGIN + 2
    assert shown.endswith(ELLIPSIS) and text.startswith(shown.removesuffix(" " + ELLIPSIS))


def test_window_never_cuts_an_address_in_half() -> None:
    filler = "x" * 700
    email = "jane.doe@example.org"
    text = f"{filler} {email} and more text after it"
    for max_chars in range(690, 722):
        shown = excerpt.window(text, max_chars - WINDOW_MARGIN)
        assert email in shown or "jane" not in shown, max_chars


def test_window_does_not_split_a_phone_number() -> None:
    text = "x" * 740 + " call +33 6 12 34 56 78 now " + "y" * 300
    shown = excerpt.window(text, 500)
    assert "+33" not in shown or "+33 6 12 34 56 78" in shown


def test_excerpt_setting_is_capped() -> None:
    text = "a " * 20_000
    assert len(excerpt.window(text, 10**9)) <= excerpt.MAX_EXCERPT_CHARS + WINDOW_MARGIN + 2


def test_isolated_redaction_matches_in_process() -> None:
    text = "Mail jane.doe@example.org from 10.20.30.40 about https://x.example.com/a " * 20
    redactor = IsolatedRedactor()
    try:
        isolated = redactor(text, 300, redact.DEFAULT_PUBLIC_DOMAINS)
        assert isolated == excerpt.in_process(text, 300)
        assert isolated.text == redact.redact(excerpt.window(text, 300), 300)
        assert isolated.removed >= 3
        kept = redactor(text, 300, frozenset({"x.example.com"}))
        assert "https://x.example.com/a" in kept.text and kept.removed < isolated.removed
    finally:
        redactor.close()


def test_a_stuck_redaction_is_killed_and_withheld(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    redactor = IsolatedRedactor(timeout=2.0, function="app.redact_doubles:spin")
    result: list[redact.Redaction] = []
    worker = threading.Thread(target=lambda: result.append(redactor(str(pid_file), 100)))
    worker.start()
    # The interpreter is not held: this thread runs while the worker process spins.
    while not pid_file.exists() or not pid_file.read_text():
        assert worker.is_alive(), "the redaction returned before its worker even started"
    busy = sum(range(200_000))
    assert busy and worker.is_alive()
    worker.join(20)
    assert result == [redact.Redaction(WITHHELD, 0)]
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_a_crashed_worker_is_replaced() -> None:
    crashing = IsolatedRedactor(timeout=5.0, function="app.redact_doubles:crash")
    assert crashing("hello", 10).text == WITHHELD
    echoing = IsolatedRedactor(timeout=5.0, function="app.redact_doubles:echo")
    try:
        assert echoing("hello", 10, frozenset({"b.org", "a.org"})) == redact.Redaction(
            "10:a.org,b.org:hello", 5
        )
        assert echoing("again", 10, frozenset()).text == "10::again"
    finally:
        echoing.close()


def test_when_every_worker_is_busy_the_excerpt_is_withheld(tmp_path: Path) -> None:
    redactor = IsolatedRedactor(timeout=1.0, max_workers=1, function="app.redact_doubles:spin")
    first = threading.Thread(target=redactor, args=(str(tmp_path / "a"), 10))
    first.start()
    try:
        assert redactor(str(tmp_path / "b"), 10).text == WITHHELD
        assert not (tmp_path / "b").exists()  # never reached a worker
    finally:
        first.join(10)
