"""Fixtures for the workflow tests: one emulated server + plugin process per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.emu import World, start_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = start_world()
    try:
        yield w
    finally:
        w.host.stop()
