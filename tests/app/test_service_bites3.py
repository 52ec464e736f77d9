"""Escalate's steps that only the emulator suites reached (mutation testing cannot trace them
there): the note keeps links to the public allow-list, the check before the dialog refuses a
post the actor cannot read, an escalation over the rate limit leaves no reservation behind, and
a new record carries its responders by id and seat and the token of its reservation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.test_service import World
from escalations.app.domain.errors import CannotReadPost, TooManyEscalations
from escalations.app.workflow.store import KVStore


def test_the_note_keeps_links_to_the_public_allow_list_and_hides_others() -> None:
    w = World()
    note = "see https://docs.mattermost.com/about and https://my-own-host.example.net/x"
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing", note)
    assert "https://docs.mattermost.com/about" in record.note
    assert "my-own-host" not in record.note


def test_the_check_before_the_dialog_refuses_a_post_the_actor_cannot_read() -> None:
    w = World()
    private = w.post(channel=w.secret)  # alice is a member; mallory is not
    w.workflow.check_escalatable(w.alice.id, private)
    with pytest.raises(CannotReadPost, match="cannot read the channel"):
        w.workflow.check_escalatable(w.mallory.id, private)


def test_an_escalation_over_the_rate_limit_leaves_no_reservation() -> None:
    w = World()
    w.activated = replace(w.activated, environment=replace(w.env, escalations_per_hour=1))
    w.workflow.escalate(w.alice.id, w.post(), "licensing")
    second = w.post()
    with pytest.raises(TooManyEscalations):
        w.workflow.escalate(w.alice.id, second, "licensing")
    stored = {r.post_id for r in KVStore(w.kv).scan()}
    assert len(stored) == 1 and second not in stored


def test_a_new_record_carries_its_responders_and_its_reservation() -> None:
    w = World()
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    topic = w.activated.policy.topic("licensing")
    assert topic is not None
    assert record.responder_ids == topic.responder_ids and record.responder_ids
    assert record.responder_seats == topic.responder_seats and record.responder_seats
    assert len(record.reservation) == 26
    stored = KVStore(w.kv).get(record.id)
    assert stored is not None and stored.reservation == record.reservation
