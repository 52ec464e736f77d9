"""YAML parsing for policy documents: safe, strict about duplicate keys, no aliases.

PyYAML silently keeps the last of two equal mapping keys; in a hand-edited policy that hides a
mistake (a second ``loop_in:`` replacing the first), so duplicates are collected and reported.
Anchors/aliases are refused: they are never needed in a policy and an alias "bomb" would make
validation walk an exponentially large document. Deeply nested brackets are refused before the
parser sees them (``limits.MAX_BRACKET_DEPTH``): libyaml recurses per nesting level and a
policy override must never be able to crash the plugin process.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from escalations.policy.limits import MAX_BRACKET_DEPTH

try:  # the libyaml parser when PyYAML was built with it (the wheels are); same behaviour, faster
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class YamlProblem(Exception):
    """The text is not YAML we accept; ``str()`` is a one-line explanation with a line number."""


class _StrictLoader(_BaseLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node constructed before is reached a second time only through an alias.
        if node in self.constructed_objects:
            line = node.start_mark.line + 1
            raise YamlProblem(f"anchors and aliases are not allowed (anchor at line {line})")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key_node.value))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def parse(text: str) -> tuple[object, list[tuple[int, str]]]:
    """Parse one YAML document.

    Returns:
        The document (``None`` when empty) and the duplicate mapping keys found, as
        ``(line, key)`` pairs.

    Raises:
        YamlProblem: syntax errors, several documents, aliases.
    """
    _check_bracket_depth(text)
    loader = _StrictLoader(text)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise YamlProblem(f"{where}not valid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return document, loader.duplicates


_BRACKET = re.compile(r"[\[\]{}]")


def _check_bracket_depth(text: str) -> None:
    """Refuse text whose brackets nest deeper than the limit.

    Counts every bracket, including those inside quoted text or comments: a deliberately
    conservative over-estimate (real policies nest one or two levels).
    """
    depth = 0
    for match in _BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise YamlProblem(
                    f"line {line}: brackets nested more than {MAX_BRACKET_DEPTH} levels deep"
                )
        else:
            depth = max(0, depth - 1)
