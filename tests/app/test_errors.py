"""Every domain error has a documented HTTP status and a message for a person."""

from __future__ import annotations

import inspect

from escalations.app.domain import errors


def all_errors() -> list[type[errors.WorkflowError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.WorkflowError) and obj is not errors.WorkflowError
    ]


def test_every_error_maps_to_a_documented_status() -> None:
    documented = {400, 401, 403, 404, 409, 429}
    found = all_errors()
    assert len(found) >= 17
    for cls in found:
        error = cls("x") if cls is not errors.AlreadyClaimed else cls("bob")
        assert errors.http_status(error) in documented, cls.__name__
        assert error.public


def test_already_claimed_names_the_owner() -> None:
    assert "already claimed by @bob" in errors.AlreadyClaimed("bob").public
