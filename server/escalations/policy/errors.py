"""Exceptions of the policy layer.

Tree::

    PolicyError              base of everything this package raises
    └── UnknownTopic         route() was asked about a topic key the policy does not define

Loading never raises for bad input: problems with a policy document are returned as values
(``LoadResult.errors`` / ``.warnings``, each an ``Issue``). Exceptions are kept for misuse of a
valid policy by a caller, which the adapter translates once at its edge (HTTP 404, exit code 2).
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base class of the policy layer's exceptions."""


class UnknownTopic(PolicyError):
    """A topic key that the active policy does not define.

    Attributes:
        key: the key that was asked for.
        valid_keys: the policy's topic keys, in policy order (for a helpful message).
    """

    def __init__(self, key: str, valid_keys: tuple[str, ...]) -> None:
        self.key = key
        self.valid_keys = valid_keys
        super().__init__(f'unknown topic "{key}"; valid topics: {", ".join(valid_keys)}')
