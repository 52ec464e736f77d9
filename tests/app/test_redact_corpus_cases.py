"""Every case of the labelled corpus (tests/fixtures/redaction), one by one: each item to redact
is gone and each text to keep is still there. ``test_redact_corpus`` scores the corpus as a whole
(recall and precision over a floor); this file holds redaction to every case the corpus marks, so
that one case lost is a failure that names it."""

from __future__ import annotations

from typing import Any

import pytest

from escalations.app.domain.redact import redact
from fixtures.redaction.scoring import load

CASES = load()


# Ids by line and class only: the texts hold quotes, backslashes and escapes that do not survive
# being passed back to pytest on a command line (the assertion message quotes the text).
@pytest.mark.parametrize("case", CASES, ids=[f"{n + 1}-{c['class']}" for n, c in enumerate(CASES)])
def test_corpus_case(case: dict[str, Any]) -> None:
    text = str(case["text"])
    out = redact(text, 100_000)
    for item in case.get("items", []):
        assert str(item) not in out, (text, out)
    for kept in case.get("keep", []):
        assert str(kept) in out, (text, out)
    if not case.get("items"):
        assert out == text, "nothing to redact: the text stays as typed"
