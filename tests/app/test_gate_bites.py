"""The gate's edges the rate-limit tests leave open: a limit of 0 turns the check off too, not
only the count."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.fakes import FakeHost
from app.test_gate import RULES, Clock
from escalations.app.domain.errors import TooManyEscalations
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow.gate import Gate

USER = "u" * 26


def test_a_limit_of_zero_checks_nothing_even_after_escalations() -> None:
    gate = Gate(FakeHost(), MemoryKV(), Clock())
    gate.check_rate(replace(RULES, per_hour=0), USER)  # nothing stored yet
    for _ in range(3):
        gate.take(RULES, USER)
    with pytest.raises(TooManyEscalations):  # the limit of 3 is reached ...
        gate.check_rate(RULES, USER)
    gate.check_rate(replace(RULES, per_hour=0), USER)  # ... and 0 refuses nothing
