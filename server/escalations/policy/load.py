"""Loading and validating policy documents (YAML, format described in ``policy/README.md``).

``load_policy_file`` / ``load_policy_text`` never raise for bad input. They return a
``LoadResult``: the frozen ``Policy`` when the document is valid, otherwise ``policy=None`` and
**every** error found, each an ``Issue`` with the source (file name or "<text>"), the path of
the offending value (``topics[3].approved_responders[1]``) and a message written for an admin.
Warnings (``checks.py``) are computed only for valid documents: they describe a policy that
works but needs attention (a role nobody holds, a role no topic uses, ...).

Validation walks the parsed document once. Each helper reports its own problems and returns a
fallback value so the walk can go on and find the next problem; the model is built only when
no error was reported, so fallbacks never reach a caller.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from escalations.policy import limits
from escalations.policy._shapes import MISSING, ShapeChecker, kind, suggest
from escalations.policy._yaml import YamlProblem, parse
from escalations.policy.checks import find_warnings
from escalations.policy.model import Issue, Member, Policy, ResponseTip, Role, Topic

DEFAULT_SOURCE: Final = "<text>"
DEFAULT_CHANNEL_NAME: Final = "community-escalations"
_TOO_LARGE: Final = f"the policy is larger than {limits.MAX_POLICY_BYTES // 1024} KiB"
CHANNEL_VISIBILITIES: Final = ("public", "private")

# Allowed keys of each mapping in the format, and whether each is required. policy/schema.json
# states the same; tests/policy/test_schema.py keeps the two in step.
POLICY_KEYS: Final[Mapping[str, bool]] = {
    "format_version": True,
    "version": True,
    "title": True,
    "source": False,
    "last_updated": False,
    "channel_name": False,
    "channel_team": False,
    "channel_visibility": False,
    "non_sensitive_guidance": False,
    "responder_signup": False,
    "response_tips": False,
    "roles": True,
    "topics": True,
}
ROLE_KEYS: Final[Mapping[str, bool]] = {"name": True, "members": True}
MEMBER_KEYS: Final[Mapping[str, bool]] = {"username": True, "display_name": True}
TIP_KEYS: Final[Mapping[str, bool]] = {"title": True, "text": True}
TOPIC_KEYS: Final[Mapping[str, bool]] = {
    "key": True,
    "title": True,
    "description": True,
    "approved_responders": True,
    "loop_in": False,
    "template_response": False,
}


@dataclass(frozen=True)
class LoadResult:
    """The outcome of loading a policy: the policy, or every error; plus warnings."""

    policy: Policy | None
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        """True when the document is valid (it may still have warnings)."""
        return self.policy is not None and not self.errors


def load_policy_file(path: str | os.PathLike[str], source: str | None = None) -> LoadResult:
    """Load and validate the policy file at ``path``.

    ``source`` names the file in issues; default: the path as given. (The plugin names its
    bundled policy without the server's absolute path, which is no business of its users.)
    """
    source = str(path) if source is None else source
    try:
        with Path(path).open("rb") as file:
            data = file.read(limits.MAX_POLICY_BYTES + 1)  # never more than the limit + 1
    except OSError as exc:
        return _failed(source, "cannot-read", f"cannot read the file: {exc.strerror or exc}")
    if len(data) > limits.MAX_POLICY_BYTES:
        return _failed(source, "too-large", _TOO_LARGE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _failed(source, "not-utf8", f"not UTF-8 text (byte {exc.start})")
    return load_policy_text(text, source=source)


def load_policy_text(text: str, source: str = DEFAULT_SOURCE) -> LoadResult:
    """Load and validate a policy given as YAML text (e.g. the System Console override)."""
    if len(text.encode("utf-8")) > limits.MAX_POLICY_BYTES:
        return _failed(source, "too-large", _TOO_LARGE)
    try:
        document, duplicates = parse(text)
    except YamlProblem as exc:
        return _failed(source, "yaml", str(exc))
    walker = _Walker(source)
    for line, key in duplicates:
        walker.error("", f'line {line}: key "{key}" appears twice', "duplicate-key")
    policy = walker.policy(document)
    if policy is None or walker.errors:
        return LoadResult(None, tuple(walker.errors), ())
    return LoadResult(policy, (), find_warnings(policy, source))


def _failed(source: str, code: str, message: str) -> LoadResult:
    return LoadResult(None, (Issue(source, "", message, code),), ())


class _Walker(ShapeChecker):
    """One validation pass over a parsed document, collecting every error."""

    # -- the document --------------------------------------------------------------------

    def policy(self, document: object) -> Policy | None:
        if document is None:
            self.error("", "the document is empty", "empty-document")
            return None
        if isinstance(document, dict) and "format_version" in document:
            # Checked first and alone: in another format the other keys may mean something else.
            if self.format_version(document["format_version"]) is None:
                return None
        root = self.mapping(document, "", POLICY_KEYS)
        if root is None:
            return None
        # Checked in the format's order (the bundled files' order), which errors are listed in.
        version = self.text(root.get("version", MISSING), "version", limits.MAX_NAME_CHARS)
        title = self.text(root.get("title", MISSING), "title", limits.MAX_TITLE_CHARS)
        source = self.optional(root, "source", limits.MAX_TITLE_CHARS) or ""
        last_updated = self.last_updated(root.get("last_updated"))
        channel_name = self.slug(root, "channel_name") or DEFAULT_CHANNEL_NAME
        channel_team = self.slug(root, "channel_team")
        channel_visibility = self.visibility(root.get("channel_visibility"))
        signup = self.optional(root, "responder_signup", limits.MAX_TEXT_CHARS) or ""
        guidance = self.optional(root, "non_sensitive_guidance", limits.MAX_TEXT_CHARS) or ""
        tips = self.tips(root.get("response_tips", []))
        roles, declared = self.roles(root.get("roles", MISSING))
        topics = self.topics(root.get("topics", MISSING), declared)
        return Policy(
            format_version=limits.FORMAT_VERSION,
            version=version,
            title=title,
            source=source,
            last_updated=last_updated,
            channel_name=channel_name,
            channel_team=channel_team,
            channel_visibility=channel_visibility,
            responder_signup=signup,
            non_sensitive_guidance=guidance,
            response_tips=tips,
            roles=roles,
            topics=topics,
        )

    def format_version(self, value: object) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error("format_version", f"expected a number, got {kind(value)}", "wrong-type")
            return None
        if value != limits.FORMAT_VERSION:
            self.error(
                "format_version",
                f"unsupported format version {value}; this plugin reads format_version "
                f"{limits.FORMAT_VERSION}",
                "unsupported-format",
            )
            return None
        return value

    def last_updated(self, value: object) -> str | None:
        if isinstance(value, datetime.date):  # YAML reads 2020-05-01 as a date
            return value.isoformat()
        if value is None:
            return None
        return self.text(value, "last_updated", limits.MAX_TITLE_CHARS)

    def slug(self, root: Mapping[str, object], key: str) -> str | None:
        text = self.optional(root, key, limits.MAX_NAME_CHARS)
        if text is not None and not limits.SLUG_PATTERN.fullmatch(text):
            self.error(
                key,
                f'"{text}" is not a valid name (lowercase letters, digits, "-" and "_")',
                "bad-value",
            )
        return text

    def visibility(self, value: object) -> str | None:
        if value is None:
            return None
        text = self.text(value, "channel_visibility", limits.MAX_NAME_CHARS)
        if text and text not in CHANNEL_VISIBILITIES:
            self.error(
                "channel_visibility", f'expected "public" or "private", got "{text}"', "bad-value"
            )
        return text

    # -- roles and members ---------------------------------------------------------------

    def roles(self, value: object) -> tuple[tuple[Role, ...], frozenset[str]]:
        """The roles, and the names declared (even by roles with other errors)."""
        roles: list[Role] = []
        first_index: dict[str, int] = {}
        for i, item in enumerate(self.sequence(value, "roles", limits.MAX_ROLES)):
            path = f"roles[{i}]"
            fields = self.mapping(item, path, ROLE_KEYS)
            if fields is None:
                continue
            name = self.text(fields.get("name", MISSING), f"{path}.name", limits.MAX_NAME_CHARS)
            prior = first_index.setdefault(name.casefold(), i) if name else i
            if prior != i:
                self.error(
                    f"{path}.name",
                    f'role "{name}" is defined twice (also roles[{prior}])',
                    "duplicate-role",
                )
            members = self.members(fields.get("members", MISSING), f"{path}.members")
            roles.append(Role(name, members))
        return tuple(roles), frozenset(r.name for r in roles if r.name)

    def members(self, value: object, path: str) -> tuple[Member, ...]:
        members: list[Member] = []
        first_index: dict[str, int] = {}
        for j, item in enumerate(self.sequence(value, path, limits.MAX_MEMBERS_PER_ROLE)):
            item_path = f"{path}[{j}]"
            fields = self.mapping(item, item_path, MEMBER_KEYS)
            if fields is None:
                continue
            username = self.username(fields.get("username", MISSING), f"{item_path}.username")
            display_name = self.text(
                fields.get("display_name", MISSING),
                f"{item_path}.display_name",
                limits.MAX_NAME_CHARS,
            )
            prior = first_index.setdefault(username, j) if username else j
            if prior != j:
                self.error(
                    item_path,
                    f'"{username}" is listed twice (also {path}[{prior}])',
                    "duplicate-member",
                )
                continue
            members.append(Member(username, display_name))
        return tuple(members)

    def username(self, value: object, path: str) -> str:
        name = self.text(value, path, limits.MAX_NAME_CHARS)
        if not name:
            return name
        if name.startswith("@"):
            self.error(path, f'write the username without "@": "{name[1:]}"', "bad-username")
        elif name in limits.RESERVED_USERNAMES:
            self.error(
                path, f'"{name}" is a reserved Mattermost name, not a username', "bad-username"
            )
        elif not limits.USERNAME_PATTERN.fullmatch(name):
            hint = " (usernames are lowercase)" if name != name.lower() else ""
            self.error(
                path,
                f'"{name}" is not a valid Mattermost username{hint}: 3 to 22 characters from '
                'a-z, 0-9, ".", "-", "_", starting with a letter',
                "bad-username",
            )
        return name

    # -- topics ----------------------------------------------------------------------------

    def topics(self, value: object, declared: frozenset[str]) -> tuple[Topic, ...]:
        if isinstance(value, list) and not value:
            self.error("topics", "a policy needs at least one topic", "no-topics")
        topics: list[Topic] = []
        first_index: dict[str, int] = {}
        for i, item in enumerate(self.sequence(value, "topics", limits.MAX_TOPICS)):
            path = f"topics[{i}]"
            fields = self.mapping(item, path, TOPIC_KEYS)
            if fields is None:
                continue
            key = self.topic_key(fields.get("key", MISSING), f"{path}.key")
            prior = first_index.setdefault(key, i) if key else i
            if prior != i:
                self.error(
                    f"{path}.key",
                    f'topic "{key}" is defined twice (also topics[{prior}])',
                    "duplicate-topic",
                )
            topics.append(self.topic(fields, path, key, declared))
        return tuple(topics)

    def topic(
        self, fields: Mapping[str, object], path: str, key: str, declared: frozenset[str]
    ) -> Topic:
        responders_path = f"{path}.approved_responders"
        responders = fields.get("approved_responders", MISSING)
        if responders is None or responders == []:
            self.error(
                responders_path,
                "a topic needs at least one approved responder role",
                "no-responders",
            )
            responders = []
        template = fields.get("template_response")
        return Topic(
            key=key,
            title=self.text(fields.get("title", MISSING), f"{path}.title", limits.MAX_TITLE_CHARS),
            description=self.text(
                fields.get("description", MISSING),
                f"{path}.description",
                limits.MAX_DESCRIPTION_CHARS,
            ),
            approved_responders=self.role_refs(responders, responders_path, declared),
            loop_in=self.role_refs(fields.get("loop_in", []), f"{path}.loop_in", declared),
            template_response=None
            if template is None
            else self.text(template, f"{path}.template_response", limits.MAX_TEXT_CHARS),
        )

    def topic_key(self, value: object, path: str) -> str:
        key = self.text(value, path, limits.MAX_NAME_CHARS)
        if key and not limits.TOPIC_KEY_PATTERN.fullmatch(key):
            self.error(
                path,
                f'"{key}" is not a valid topic key: lowercase words joined by "-", '
                'e.g. "illicit-use"',
                "bad-topic-key",
            )
        return key

    def role_refs(self, value: object, path: str, declared: frozenset[str]) -> tuple[str, ...]:
        refs: list[str] = []
        for k, item in enumerate(self.sequence(value, path, limits.MAX_ROLES_PER_LIST)):
            item_path = f"{path}[{k}]"
            name = self.text(item, item_path, limits.MAX_NAME_CHARS)
            if not name:
                continue
            if name not in declared:
                self.error(
                    item_path, f'unknown role "{name}"{suggest(name, declared)}', "unknown-role"
                )
            elif name in refs:
                self.error(item_path, f'role "{name}" is listed twice', "duplicate-reference")
            else:
                refs.append(name)
        return tuple(refs)

    def tips(self, value: object) -> tuple[ResponseTip, ...]:
        tips: list[ResponseTip] = []
        for i, item in enumerate(self.sequence(value, "response_tips", limits.MAX_RESPONSE_TIPS)):
            path = f"response_tips[{i}]"
            fields = self.mapping(item, path, TIP_KEYS)
            if fields is None:
                continue
            tips.append(
                ResponseTip(
                    title=self.text(
                        fields.get("title", MISSING), f"{path}.title", limits.MAX_TITLE_CHARS
                    ),
                    text=self.text(
                        fields.get("text", MISSING), f"{path}.text", limits.MAX_TEXT_CHARS
                    ),
                )
            )
        return tuple(tips)
