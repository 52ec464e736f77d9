"""Credentials: named values, well-known token formats, private keys, and ids called a token.

A named value is redacted in every common syntax (``key=value``, ``key: value``, ``key => value``,
``"key": "value"``, ``KEY=value`` in an environment file, "my password is ..."); the name stays, so
responders know what was there. ``user:password@`` in URLs, DSNs and ``curl -u`` hides the pair.
"""

from __future__ import annotations

from .linear import compile_linear
from .spans import Label, Span

_PEM_RE = compile_linear(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
    r"(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\z)"
)
_KNOWN_TOKEN_RE = compile_linear(
    r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposre]-[A-Za-z0-9-]{10,}"
    r"|xapp-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{16,}"
    r"|glpat-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|npm_[A-Za-z0-9]{30,}"
    r"|hf_[A-Za-z0-9]{30,}|ya29\.[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)"
)
_SECRET_WORD = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|secret[_-]?key|auth[_-]?key|credentials?|_pass)s?(?:[_-]?(?:base|value|string|b64))?"
)
_VALUE = r"(\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|[^\s,;\"'`<>()\[\]{}]+)"
_NAMED_RE = compile_linear(
    rf"(?i)([A-Za-z0-9_.-]*{_SECRET_WORD})[\"']?"
    rf"([ \t]*(?:=>|:=|=|:)[ \t]*|[ \t]+(?:is|was)[ \t]+(?:now[ \t]+)?)" + _VALUE
)
_AUTH_RE = compile_linear(r"(?i)(bearer|basic)[ \t]+([A-Za-z0-9._~+/=-]{8,})")
_CURL_USER_RE = compile_linear(r"(?:-u|--user)[ \t=]*" + _VALUE)
_USERINFO_RE = compile_linear(r"[A-Za-z0-9._%+-]+:[^\s@/:]+@[A-Za-z0-9][A-Za-z0-9.-]*")
_MATTERMOST_ID_RE = compile_linear(r"[a-z0-9]{26}")
_LONG_RUN_RE = compile_linear(r"[A-Za-z0-9_+/=-]{32,}")

_PROSE_WORDS = ("password", "passwd", "passphrase", "pwd", "pin")
# Words that follow "password is" in a question or a complaint, not a password.
_NOT_A_VALUE = frozenset(
    """wrong incorrect expired invalid correct required set not the a an too being still empty
    missing changed reset ok okay fine stored saved hashed encrypted visible shown needed same
    different in on at from for now gone lost weak strong also never always only rejected
    accepted ignored lowercase uppercase case-sensitive long short blank null none""".split()
)
_TOKEN_NAMES = ("token", "key", "secret", "password", "credential", "pat ", "pat:", "pat=")
_LOOK_BEHIND = 48
# Markdown emphasis and a full stop right after an unquoted value close the sentence around it.
_MARKUP_AFTER = "*_~."


def find_secrets(text: str) -> list[Span]:
    spans = [Span(m.start(), m.end(), Label.SECRET, True) for m in _PEM_RE.finditer(text)]
    spans += [Span(m.start(), m.end(), Label.SECRET, True) for m in _KNOWN_TOKEN_RE.finditer(text)]
    spans += _named(text)
    for m in _AUTH_RE.finditer(text):
        value = m.group(2) or ""
        scheme = (m.group(1) or "").lower()
        if m.start() and text[m.start() - 1].isalnum():
            continue
        if scheme == "bearer" or _looks_random(value) or value.endswith("="):
            spans.append(Span(m.start(2), m.end(2), Label.SECRET, True))
    for m in _CURL_USER_RE.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "-"):
            continue
        if ":" in (m.group(1) or ""):
            spans.append(Span(m.start(1), m.end(1), Label.SECRET, True))
    for m in _USERINFO_RE.finditer(text):
        if not (m.start() and text[m.start() - 1] == "/"):  # a URL with a scheme is a [url]
            spans.append(Span(m.start(), m.end(), Label.SECRET, True))
    spans += _mattermost_ids(text)
    spans += _long_runs(text)
    return spans


def _named(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _NAMED_RE.finditer(text):
        name = (m.group(1) or "").lower()
        separator = (m.group(2) or "").strip().lower()
        value = m.group(3) or ""
        start = m.start(1)
        if start and (text[start - 1].isalnum()):
            continue
        if separator in ("is", "was") or separator.startswith(("is ", "was ")):
            if not name.endswith(_PROSE_WORDS) or value.strip("\"'`.!?*_~").lower() in _NOT_A_VALUE:
                continue
        if "token" in name and value.isdigit() and len(value) <= 6:
            continue  # max_tokens=4096
        end = m.end(3)
        while end > m.start(3) + 1 and text[end - 1] in _MARKUP_AFTER:
            end -= 1
        spans.append(Span(m.start(3), end, Label.SECRET, True))
    return spans


def _mattermost_ids(text: str) -> list[Span]:
    """26-character Mattermost ids (personal access tokens look the same) when the text just
    before calls them a token, key or secret; other ids stay."""
    spans: list[Span] = []
    for m in _MATTERMOST_ID_RE.finditer(text):
        start, end = m.start(), m.end()
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        before = text[max(0, start - _LOOK_BEHIND) : start].lower()
        if any(name in before for name in _TOKEN_NAMES) or before.rstrip().endswith("pat"):
            spans.append(Span(start, end, Label.SECRET, True))
    return spans


def _long_runs(text: str) -> list[Span]:
    """Long runs mixing upper case, lower case and digits (API keys, generated passwords); hex
    digests, paths and words joined by dashes stay."""
    spans: list[Span] = []
    for m in _LONG_RUN_RE.finditer(text):
        run = text[m.start() : m.end()]
        parts = run.split("/") if "/" in run and "+" not in run else [run]
        if any(len(p) >= 24 and _looks_random(p) for p in parts):
            spans.append(Span(m.start(), m.end(), Label.SECRET))
    return spans


def _looks_random(value: str) -> bool:
    upper = any(c.isupper() for c in value)
    lower = any(c.islower() for c in value)
    return upper and lower and any(c.isdigit() for c in value)
