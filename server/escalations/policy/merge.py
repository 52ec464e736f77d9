"""Template responses written into a policy's own text, and the unified diff of the change.

``merge_templates(text, templates)`` returns the policy document ``text`` with each topic's
``template_response`` set to ``templates[key]``: only those values change, so comments, order and
layout stay as the admin wrote them and the result can be committed to the policy's source.
A value replaced in place keeps its line; a topic without the key gets a
``template_response:`` line after its ``key`` line (or, written as a flow mapping, one more
entry). The values are written by the YAML emitter (a literal block for several lines, quoted
when needed), never pasted, so no text can break out of its value.

The result is loaded again and compared with what was asked for: anything else (a layout the
splice does not know) raises ``MergeError`` rather than returning a wrong document.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from escalations.policy._yaml import YamlProblem, parse
from escalations.policy.load import load_policy_text
from escalations.policy.model import Policy

TEMPLATE_KEY = "template_response"


class MergeError(Exception):
    """The templates cannot be written into this text; ``str()`` says why."""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def merge_templates(text: str, templates: Mapping[str, str]) -> str:
    """``text`` with the template responses of ``templates`` (topic key -> text, stripped as the
    policy holds it) written in.

    Raises:
        MergeError: ``text`` is not a valid policy, names none of the topics, or the merged
            text would not load back as exactly the requested change.
    """
    # The policy holds texts stripped (``load``): written stripped, they load back as written.
    templates = {key: value.strip() for key, value in templates.items()}
    if not all(templates.values()):
        raise MergeError("a template response cannot be empty")
    before = load_policy_text(text)
    if not before.ok or before.policy is None:
        raise MergeError("the policy text is not valid")
    try:
        parse(text)  # the same limits as loading (nesting, aliases)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (YamlProblem, yaml.YAMLError) as exc:
        raise MergeError(f"the policy text cannot be read: {exc}") from exc
    edits = [edit for item in _topic_nodes(root) for edit in _edits(text, item, templates)]
    merged = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        merged = merged[: edit.start] + edit.text + merged[edit.end :]
    _verify(before.policy, merged, templates)
    return merged


def unified_diff(before: str, after: str, name: str) -> str:
    """The unified diff from ``before`` to ``after``; empty when they are equal."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _topic_nodes(root: yaml.Node | None) -> list[yaml.MappingNode]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "topics":
            if isinstance(value, yaml.SequenceNode):
                return [n for n in value.value if isinstance(n, yaml.MappingNode)]
    return []


def _edits(text: str, item: yaml.MappingNode, templates: Mapping[str, str]) -> list[_Edit]:
    pairs = {k.value: (k, v) for k, v in item.value if isinstance(k, yaml.ScalarNode)}
    key = pairs.get("key")
    if key is None or key[1].value not in templates:
        return []
    wanted = templates[key[1].value]
    column = key[0].start_mark.column
    existing = pairs.get(TEMPLATE_KEY)
    if existing is not None:
        value = existing[1]
        span = text[value.start_mark.index : value.end_mark.index]
        tail = span[len(span.rstrip()) :]  # the line breaks a block scalar ends with
        rendered = _value(wanted, column, flow=item.flow_style)
        return [_Edit(value.start_mark.index, value.end_mark.index, rendered + tail)]
    if item.flow_style:
        rendered = _value(wanted, column, flow=True)
        end = item.end_mark.index - 1  # before the closing brace
        return [_Edit(end, end, f", {TEMPLATE_KEY}: {rendered}")]
    line_end = text.find("\n", key[1].end_mark.index)
    at = len(text) if line_end < 0 else line_end + 1
    rendered = _value(wanted, column, flow=False)
    newline = "" if line_end >= 0 else "\n"
    return [_Edit(at, at, f"{newline}{' ' * column}{TEMPLATE_KEY}: {rendered}\n")]


def _value(value: str, column: int, *, flow: bool) -> str:
    """``value`` as the YAML emitter writes it after ``template_response: `` at ``column``: a
    literal block for several lines (when the emitter allows one), otherwise a plain or quoted
    scalar; in a flow mapping always double-quoted."""
    if flow:
        quoted = yaml.dump(value, Dumper=yaml.SafeDumper, default_style='"', **_EMIT)
        return str(quoted).rstrip("\n")
    dumped = str(yaml.dump({TEMPLATE_KEY: value}, Dumper=_Dumper, **_EMIT))
    first, *rest = dumped.removeprefix(f"{TEMPLATE_KEY}:").rstrip("\n").split("\n")
    return "\n".join([first.lstrip(" "), *(" " * column + line if line else "" for line in rest)])


_EMIT: dict[str, Any] = {"allow_unicode": True, "width": 1 << 30, "default_flow_style": False}


class _Dumper(yaml.SafeDumper):
    """Several lines as a literal block (``|``), where the emitter allows one."""


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", data, style="|" if "\n" in data else None
    )


_Dumper.add_representer(str, _str)


def _verify(before: Policy, merged: str, templates: Mapping[str, str]) -> None:
    after = load_policy_text(merged)
    if not after.ok or after.policy is None:
        raise MergeError("the merged text does not load as a policy")
    expected = tuple(
        replace(t, template_response=templates.get(t.key, t.template_response))
        for t in before.topics
    )
    if after.policy != replace(before, topics=expected):
        raise MergeError("the templates cannot be written into this layout of the policy")
