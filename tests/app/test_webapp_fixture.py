"""Contract: the webapp's topics fixture is what the real plugin serves.

``webapp/test/fixtures/topics.json`` feeds the webapp's unit and browser tests (and so the README
screenshot). It must equal the running plugin's ``GET /api/v1/topics`` answer for the bundled
policy with every policy member present, or the webapp is being tested against data the server
never sends. ``scripts/export_topics_fixture.py`` regenerates it.
"""

from __future__ import annotations

import json
from typing import Any

from app.emu import ROOT, World

FIXTURE = ROOT / "webapp" / "test" / "fixtures" / "topics.json"
REGENERATE = (
    "webapp/test/fixtures/topics.json is out of step with the plugin's GET /api/v1/topics; "
    "run `.venv/bin/python scripts/export_topics_fixture.py` and commit the result"
)


def _served(world: World) -> Any:
    resp = world.host.http("GET", "/api/v1/topics", user_id=world.alice.id)
    assert resp.status == 200, resp.text
    return resp.json()


def test_every_policy_member_is_present(world: World) -> None:
    # The fixture assumes nobody was dropped as unknown or deactivated; a seeding gap here would
    # make the comparison below fail for the wrong reason.
    served = _served(world)
    for topic in served["topics"]:
        assert topic["default_owner"] is not None, topic["key"]
        assert topic["responders"], topic["key"]


def test_topics_fixture_equals_the_plugin_answer(world: World) -> None:
    committed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    served = _served(world)
    assert served == committed, REGENERATE
    # Same topic order and key order too: the webapp renders topics in the order sent.
    assert json.dumps(served) == json.dumps(committed), REGENERATE
