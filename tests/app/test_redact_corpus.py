"""The labelled corpus (tests/fixtures/redaction): recall and precision over every class, and no
class left far behind."""

from __future__ import annotations

from escalations.app.domain.redact import redact
from fixtures.redaction.scoring import load, score

MIN_RECALL = 0.99
MIN_PRECISION = 0.98
MIN_PER_CLASS = 0.85


def test_corpus_is_big_and_covers_every_class() -> None:
    cases = load()
    classes = {str(c["class"]) for c in cases}
    assert len(cases) >= 400
    assert {"email", "phone", "card", "iban", "ssn", "credential-named", "url"} <= classes
    assert sum(1 for c in classes if c.startswith("keep:")) >= 10


def test_recall_and_precision_on_the_corpus() -> None:
    result = score(lambda text: redact(text, 100_000))
    leaks = [m for c in result.by_class.values() for m in c.misses]
    assert result.recall >= MIN_RECALL, "\n".join(leaks)
    assert result.precision >= MIN_PRECISION, "\n".join(leaks)
    for name, c in result.by_class.items():
        ratio = c.removed / c.items if c.items else c.kept / c.kept_texts
        assert ratio >= MIN_PER_CLASS, (name, c.misses)
