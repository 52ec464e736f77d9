"""Escalation policy: model, loader/validator, pure engine.

The public surface is exactly what ``__all__`` lists::

    from escalations.policy import load_policy_file, route

    result = load_policy_file(bundled_policy_path())
    if result.ok:
        routing = route(result.policy, "illicit-use")

Modules: ``model`` (frozen records), ``load`` (parse + validate, all errors at once),
``checks`` (warnings), ``engine`` (``route`` / ``may_engage``), ``compare`` (``diff``),
``limits`` (named bounds), ``errors`` (the exception tree), ``paths`` (bundled files).
"""

from __future__ import annotations

from escalations.policy.compare import PolicyDiff, diff
from escalations.policy.engine import Routing, may_engage, route
from escalations.policy.errors import UnknownTopic
from escalations.policy.load import LoadResult, load_policy_file, load_policy_text
from escalations.policy.model import Issue, Member, Policy, Role, Topic
from escalations.policy.paths import bundled_policy_path

__all__ = [
    "Issue",
    "LoadResult",
    "Member",
    "Policy",
    "PolicyDiff",
    "Role",
    "Routing",
    "Topic",
    "UnknownTopic",
    "bundled_policy_path",
    "diff",
    "load_policy_file",
    "load_policy_text",
    "may_engage",
    "route",
]
