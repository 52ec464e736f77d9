"""YAML parsing for policy documents: safe, strict about duplicate keys, no aliases.

PyYAML silently keeps the last of two equal mapping keys; in a hand-edited policy that hides a
mistake (a second ``loop_in:`` replacing the first), so duplicates are collected and reported.
Anchors/aliases are refused: they are never needed in a policy and an alias "bomb" would make
validation walk an exponentially large document.

Nesting is bounded, because a policy override must never be able to crash the plugin process:
libyaml's composer recurses per level and dies (SIGSEGV) on tens of thousands of nested
brackets, so those are refused before parsing (``limits.MAX_BRACKET_DEPTH``); the pure-Python
composer (the plugin bundle ships PyYAML without libyaml) recurses too and raises
``RecursionError`` on a few hundred levels of block indentation, which becomes an ordinary error.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from escalations.policy.limits import MAX_BRACKET_DEPTH


class YamlProblem(Exception):
    """The text is not YAML we accept; ``str()`` is a one-line explanation with a line number."""


class _Strict(SafeConstructor):
    """Constructor overrides shared by both loaders below."""

    duplicates: list[tuple[int, str]]  # (line, key), set by ``parse`` before loading

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


class PureLoader(_Strict, yaml.SafeLoader):
    """The strict loader on PyYAML's pure-Python parser (always available)."""


if yaml.__with_libyaml__:

    class FastLoader(_Strict, yaml.CSafeLoader):
        """The strict loader on libyaml's parser: same behaviour, several times faster."""

    DEFAULT_LOADER: type[PureLoader] | type[FastLoader] = FastLoader
else:  # pragma: no cover - depends on the PyYAML build (the plugin bundle has no libyaml)
    DEFAULT_LOADER = PureLoader


def parse(
    text: str, loader_class: type[PureLoader] | type[FastLoader] | None = None
) -> tuple[object, list[tuple[int, str]]]:
    """Parse one YAML document.

    Returns:
        The document (``None`` when empty) and the duplicate mapping keys found, as
        ``(line, key)`` pairs.

    Raises:
        YamlProblem: syntax errors, several documents, aliases, excessive nesting.
    """
    _check_bracket_depth(text)
    loader = (loader_class or DEFAULT_LOADER)(text)
    loader.duplicates = []
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise YamlProblem(f"{where}not valid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise YamlProblem("the document is nested too deeply") from exc
    finally:
        loader.dispose()
    return document, sorted(loader.duplicates)


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
