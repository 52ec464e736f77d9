"""The statistics' figures from ledger rows (pure), and their text."""

from __future__ import annotations

from escalations.app.domain.model import Outcome
from escalations.app.workflow.ledger import Row
from escalations.app.workflow.stats import (
    DAY_MS,
    Percentiles,
    TopicInfo,
    compute,
    describe,
    nearest_rank,
)

NOW = 1_780_000_000_000
MIN = 60_000
TOPICS = [
    TopicInfo("licensing", "Licensing", None),
    TopicInfo("gdpr", "GDPR | privacy", "To be added."),
    TopicInfo("security", "Security", "Thanks, our security team will reply: {link}"),
]


def row(n: int, topic: str, ack: int = 0, resolved: int = 0, outcome: Outcome | None = None,
        age_days: float = 1) -> Row:  # fmt: skip
    created = NOW - int(age_days * DAY_MS)
    return Row(f"e{n}", 2, topic, created, created + ack if ack else 0,
               created + resolved if resolved else 0, outcome)  # fmt: skip


def test_nearest_rank() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    assert nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank(list(range(1, 11)), 50) == 5
    assert Percentiles.of([30, 10, 20]) == Percentiles(3, 20, 30)


def test_figures_per_topic() -> None:
    rows = [
        row(1, "licensing", ack=5 * MIN, resolved=60 * MIN, outcome=Outcome.RESPONDED),
        row(2, "licensing", ack=1 * MIN, resolved=30 * MIN, outcome=Outcome.NO_RESPONSE_NEEDED),
        row(3, "licensing", ack=20 * MIN),
        row(4, "licensing"),
        row(5, "licensing", age_days=40),  # before the window
        row(6, "retired-topic", resolved=MIN, ack=MIN, outcome=Outcome.RESPONDED),
    ]
    stats = compute(rows, TOPICS, 30, NOW)
    lic, gdpr, sec, retired = stats.topics
    assert (lic.escalations, lic.open) == (4, 2)
    assert lic.outcomes == {"responded": 1, "no_response_needed": 1}
    assert lic.to_acknowledge == Percentiles(3, 5 * MIN, 20 * MIN)
    assert lic.to_resolve == Percentiles(2, 30 * MIN, 60 * MIN)
    assert (gdpr.escalations, gdpr.to_resolve.p50) == (0, None)
    assert retired.key == "retired-topic" and not retired.in_policy
    assert stats.without_template == ["licensing", "gdpr"]
    data = stats.to_api()
    assert data["escalations"] == 5 and data["open"] == 2 and data["since"] == NOW - 30 * DAY_MS
    assert data["topics"][0]["time_to_acknowledge"] == {
        "count": 3, "p50_ms": 5 * MIN, "p90_ms": 20 * MIN,
    }  # fmt: skip
    assert sec.has_template and data["topics_without_template"] == ["licensing", "gdpr"]


def test_the_text_is_a_table_with_safe_titles() -> None:
    rows = [row(1, "licensing", ack=5 * MIN, resolved=3 * 60 * MIN, outcome=Outcome.RESPONDED)]
    text = describe(compute(rows, TOPICS, 7, NOW))
    assert text.startswith("**Escalations of the last 7 days: 1** (0 open)")
    assert "| Licensing | 1 | 0 | 1 | 0 | 5m / 5m | 3h / 3h | **none yet** |" in text
    assert "| GDPR \\| privacy | 0 | 0 | 0 | 0 | – | – | **none yet** |" in text
    assert "| Security | 0 |" in text and "| yes |" in text
    assert text.endswith("Topics without a template response: 2 of 3.")
