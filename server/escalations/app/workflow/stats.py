"""Statistics for revisiting the policy, per topic: pure functions over ledger rows.

``compute(rows, topics, ...)`` counts the escalations created in the window, how many are still
open, their outcomes, and the time to acknowledge and to resolve (p50 and p90, nearest rank),
and names the topics that still have no template response. ``Stats.to_api`` is the JSON of
``GET /api/v1/stats``; ``describe`` the text of ``/escalation stats``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from escalations.app.domain import sanitize
from escalations.app.domain.model import Outcome
from escalations.app.views import sentences
from escalations.app.workflow.ledger import Row

DEFAULT_DAYS = 30
MAX_DAYS = 3660
DAY_MS = 24 * 60 * 60 * 1000
# A template that says only this (any case) is not a template yet (the documents' own words).
PLACEHOLDER_TEMPLATES = frozenset({"to be added", "tbd", "todo"})


@dataclass(frozen=True)
class TopicInfo:
    """A topic of the active policy as the statistics need it."""

    key: str
    title: str
    template_response: str | None

    @property
    def has_template(self) -> bool:
        text = (self.template_response or "").strip().rstrip(".").lower()
        return bool(text) and text not in PLACEHOLDER_TEMPLATES


@dataclass(frozen=True)
class Percentiles:
    """p50 and p90 of a duration in ms (nearest rank); ``None`` when nothing was measured."""

    count: int
    p50: int | None
    p90: int | None

    @classmethod
    def of(cls, values: Sequence[int]) -> Percentiles:
        ordered = sorted(values)
        return cls(len(ordered), nearest_rank(ordered, 50), nearest_rank(ordered, 90))

    def to_api(self) -> dict[str, Any]:
        return {"count": self.count, "p50_ms": self.p50, "p90_ms": self.p90}


@dataclass(frozen=True)
class TopicStats:
    key: str
    title: str
    in_policy: bool
    has_template: bool
    escalations: int
    open: int
    outcomes: dict[str, int]
    to_acknowledge: Percentiles
    to_resolve: Percentiles

    def to_api(self) -> dict[str, Any]:
        return {
            "topic": self.key,
            "title": self.title,
            "in_policy": self.in_policy,
            "has_template": self.has_template,
            "escalations": self.escalations,
            "open": self.open,
            "outcomes": dict(self.outcomes),
            "time_to_acknowledge": self.to_acknowledge.to_api(),
            "time_to_resolve": self.to_resolve.to_api(),
        }


@dataclass(frozen=True)
class Stats:
    days: int
    since: int
    until: int
    topics: tuple[TopicStats, ...]

    @property
    def without_template(self) -> list[str]:
        return [t.key for t in self.topics if t.in_policy and not t.has_template]

    def to_api(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since,
            "until": self.until,
            "escalations": sum(t.escalations for t in self.topics),
            "open": sum(t.open for t in self.topics),
            "topics": [t.to_api() for t in self.topics],
            "topics_without_template": self.without_template,
        }


def nearest_rank(ordered: Sequence[int], percent: int) -> int | None:
    """The ``percent`` percentile of sorted ``ordered`` by the nearest-rank method (a negative
    duration, from clocks of two nodes that disagree, counts as 0)."""
    if not ordered:
        return None
    return max(0, ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1])


def compute(rows: Iterable[Row], topics: Sequence[TopicInfo], days: int, now: int) -> Stats:
    """The statistics of the escalations created in the ``days`` days up to ``now`` (ms): one
    entry per policy topic in policy order (escalations or not), then topics the policy no
    longer has, by key."""
    since = now - days * DAY_MS
    by_topic: dict[str, list[Row]] = {}
    for row in rows:
        if since <= row.created_at <= now:
            by_topic.setdefault(row.topic, []).append(row)
    known = {t.key for t in topics}
    entries = [
        _topic(t.key, t.title, True, t.has_template, by_topic.get(t.key, [])) for t in topics
    ]
    for key in sorted(by_topic.keys() - known):
        entries.append(_topic(key, key, False, False, by_topic[key]))
    return Stats(days, since, now, tuple(entries))


def _topic(key: str, title: str, in_policy: bool, template: bool, rows: list[Row]) -> TopicStats:
    # One plain loop: at 10,000 rows this is most of the statistics' cost.
    outcomes = {o: 0 for o in Outcome}
    acked: list[int] = []
    resolved: list[int] = []
    for row in rows:
        if row.acknowledged_at:
            acked.append(row.acknowledged_at - row.created_at)
        if row.resolved_at:
            resolved.append(row.resolved_at - row.created_at)
        if row.outcome is not None:
            outcomes[row.outcome] += 1
    return TopicStats(
        key=key,
        title=title,
        in_policy=in_policy,
        has_template=template,
        escalations=len(rows),
        open=len(rows) - len(resolved),
        outcomes={o.value: n for o, n in outcomes.items()},
        to_acknowledge=Percentiles.of(acked),
        to_resolve=Percentiles.of(resolved),
    )


def describe(stats: Stats) -> str:
    """The Markdown of ``/escalation stats``: a table, one line per topic."""
    total = sum(t.escalations for t in stats.topics)
    lines = [
        f"**Escalations of the last {stats.days} days: {total}** "
        f"({sum(t.open for t in stats.topics)} open)",
        "",
        "| topic | escalations | open | responded | no response needed "
        "| to acknowledge p50 / p90 | to resolve p50 / p90 | template |",
        "|---|--:|--:|--:|--:|---|---|---|",
    ]
    for t in stats.topics:
        label = (
            sanitize.name(t.title) if t.in_policy else f"{sanitize.name(t.key)} (not in the policy)"
        )
        lines.append(
            f"| {label} | {t.escalations} "
            f"| {t.open} | {t.outcomes[Outcome.RESPONDED.value]} "
            f"| {t.outcomes[Outcome.NO_RESPONSE_NEEDED.value]} "
            f"| {_pair(t.to_acknowledge)} | {_pair(t.to_resolve)} "
            f"| {'yes' if t.has_template else '**none yet**'} |"
        )
    missing = stats.without_template
    if missing:
        lines += ["", f"Topics without a template response: {len(missing)} of "
                  f"{sum(1 for t in stats.topics if t.in_policy)}."]  # fmt: skip
    return "\n".join(lines)


def _pair(p: Percentiles) -> str:
    if p.p50 is None or p.p90 is None:
        return "–"
    return f"{sentences.age(p.p50)} / {sentences.age(p.p90)}"
