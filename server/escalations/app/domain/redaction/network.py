"""URLs, e-mail addresses (plain and spelled out), IP addresses and domain names.

A domain counts when the Public Suffix List (``publicsuffixlist``, offline) knows its suffix, or
its last label is a usual private one (``.internal``, ``.lan``, ...). Two-label names whose suffix
is also a common file extension (``main.py``, ``README.md``) are file names. URLs and bare domains
on the public allow-list are kept, unless they carry a user name or password.

An address ``local@label.label`` is an e-mail address under any suffix, listed or not (``.za``,
``.local``, a private name); what only looks like one stays: a version after a package name
(``lodash@4.17.21``, ``react@18.x``), a mention or decorator (``**@jane.doe**``), a Kotlin label
(``this@Main.run``). Spelled-out addresses ("jane at example dot org") need a listed suffix, as
prose is full of "at" and "dot". ``user@host`` without a dot is a login in an ``ssh``-like command
(``[email]`` too); elsewhere it is kept.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterator
from functools import lru_cache

from publicsuffixlist import PSLFILE

from .linear import compile_linear
from .spans import Label, Span

_WORD = r"\p{L}\p{N}"
_LABEL = rf"[{_WORD}](?:[{_WORD}-]*[{_WORD}])?"
_URL_CHARS = r"[^\s<>\"'`]"
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"

_SCHEME_URL_RE = compile_linear(rf"(?i)(?:[a-z][a-z0-9+.-]{{0,31}}://|www\.){_URL_CHARS}+")
# Every character RFC 5322 allows unquoted in the local part (``o'neil+x@``, ``a/b@``).
_EMAIL_RE = compile_linear(
    rf"(?:[{_WORD}.!#$%&'*+/=?^_`{{|}}~-]+|\"[^\"\n]{{1,64}}\")@{_LABEL}(?:\.{_LABEL})+"
)
# "jane [at] example [dot] org", "jane(at)example.org": a bracketed "at", dots in any form.
_ANY_DOT = rf"(?:\.|\s*{_OPEN}\s*(?i:dot)\s*{_CLOSE}\s*|\s+(?i:dot)\s+)"
_SPELLED_DOT = rf"(?:\s*{_OPEN}\s*(?i:dot)\s*{_CLOSE}\s*|\s+(?i:dot)\s+)"
_LOCAL = rf"[{_WORD}.+_-]+"
_BRACKET_AT_RE = compile_linear(
    rf"{_LOCAL}\s*{_OPEN}\s*(?i:at)\s*{_CLOSE}\s*{_LABEL}(?:{_ANY_DOT}{_LABEL})+"
)
# "jane at example dot org": a spoken "at" needs at least one spoken dot ("look at example.com"
# is prose).
_SPOKEN_AT_RE = compile_linear(
    rf"{_LOCAL}\s+(?i:at)\s+{_LABEL}(?:{_ANY_DOT}{_LABEL})*{_SPELLED_DOT}{_LABEL}"
    rf"(?:{_ANY_DOT}{_LABEL})*"
)
# A login in a command that opens a session on another host (``ssh jane@db01``), or the
# ``user@host`` comment of a key.
_LOGIN_COMMAND_RE = compile_linear(
    r"(?:^|[^A-Za-z0-9_.-])(?:ssh|scp|sftp|rsync|mosh|sshfs|ssh-copy-id|ssh-keygen|autossh)[ \t]"
)
_LOGIN_RE = compile_linear(rf"[{_WORD}._+-]+@[{_WORD}](?:[{_WORD}.-]*[{_WORD}])?")
_DOT_WORDS_RE = compile_linear(rf"{_SPELLED_DOT}|\s*{_OPEN}\s*(?i:at)\s*{_CLOSE}\s*|\s+(?i:at)\s+")
_IPV4_DOT = r"(?:\.|\[\.\]|\(\.\))"
_IPV4_RE = compile_linear(
    rf"[0-9]{{1,3}}(?:{_IPV4_DOT}[0-9]{{1,3}}){{3}}(?::[0-9]{{1,5}}|/[0-9]{{1,2}})?"
)
_IPV6_RE = compile_linear(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.-]+)?")
# The last label (the top-level domain) starts with a letter and has two characters or more.
_DOMAIN_RE = compile_linear(
    rf"{_LABEL}(?:(?:\.|\[\.\]){_LABEL})*(?:\.|\[\.\])\p{{L}}[{_WORD}-]*[{_WORD}]"
    rf"(?::[0-9]{{1,5}})?(?:[/?#]{_URL_CHARS}*)?"
)

# Private top-level names seen in self-hosted setups; the Public Suffix List does not list them.
_PRIVATE_TLDS = frozenset("internal local lan corp home intranet localdomain private test".split())
# Suffixes that, after one other name, are far more often a file extension (``main.py``) or a
# field in code (``post.id``, ``user.name``) in a technical message than a domain.
_FILE_SUFFIXES = frozenset(
    """py md sh rs pl pm so cc ml in am ac ps tf mk zip mov pro ai sc st cf hs ts id name email
    get save new is do to on""".split()
)
# Product names written like domains.
_NAMES = frozenset("asp.net ado.net vb.net socket.io node.js".split())
_TRAILING = ".,;:!?'\"*_~"


@lru_cache(maxsize=1)
def _top_labels() -> frozenset[str]:
    """The top-level label of every rule of the Public Suffix List: ``za`` has rules only below
    it (``co.za``), and is a top-level domain all the same."""
    labels = set()
    with open(PSLFILE, encoding="utf-8") as rules:
        for line in rules:
            rule = line.strip()
            if rule and not rule.startswith("//"):
                labels.add(rule.split()[0].rsplit(".", 1)[-1].lstrip("!*"))
    return frozenset(labels)


@lru_cache(maxsize=2048)
def _listed_tld(label: str) -> bool:
    """Whether the Public Suffix List has a rule under top-level ``label``, written in Unicode
    or punycode (``xn--p1ai``)."""
    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            return False
    return label in _top_labels()


def find_links(text: str, public: frozenset[str]) -> tuple[list[Span], list[tuple[int, int]]]:
    """URLs (scheme, ``www.`` or a domain with a path) and bare domains: spans to redact, and
    the spans of public links to keep."""
    spans: list[Span] = []
    kept: list[tuple[int, int]] = []
    links: list[tuple[int, int]] = []
    for start, end, host, has_userinfo in _links(text):
        links.append((start, end))
        if not has_userinfo and _is_public(host, public):
            kept.append((start, end))
        else:
            spans.append(Span(start, end, Label.URL, certain=has_userinfo))
    following = 0  # links found above that end before the current domain match
    for m in _DOMAIN_RE.finditer(text):
        start, end = m.start(), _trim(text, m.start(), m.end())
        while following < len(links) and links[following][1] <= start:
            following += 1
        if following < len(links) and links[following][0] <= start:
            continue  # inside a link already handled
        if (
            start > 1
            and text[start - 1] == "@"
            and (text[start - 2].isalnum() or text[start - 2] in '_"')
        ):
            continue  # the domain of an e-mail address: that one is redacted whole
        if start and (text[start - 1] == "$" or _in_identifier(text, start)):
            continue  # an identifier in code (``user_id.name``, ``$scope.name``)
        host, _, rest = _split_host(text[start:end].replace("[.]", "."))
        if not _is_domain(host):
            continue
        if _is_public(host, public):
            kept.append((start, end))
        else:
            spans.append(Span(start, end, Label.URL if rest else Label.DOMAIN))
    kept.sort()
    return spans, kept


def _in_identifier(text: str, start: int) -> bool:
    """Whether ``text[start]`` continues an identifier after an underscore (``user_id``), which
    Markdown emphasis (``_chat.example.gg_``) does not."""
    before = text[max(0, start - 2) : start]
    return before[-1:] == "_" and len(before) == 2 and (before[0].isalnum() or before[0] == "_")


def _links(text: str) -> Iterator[tuple[int, int, str, bool]]:
    for m in _SCHEME_URL_RE.finditer(text):
        start, end = m.start(), _trim(text, m.start(), m.end())
        url = text[start:end]
        after_scheme = url.split("://", 1)[1] if "://" in url else url
        authority = after_scheme
        for stop in "/?#\\":
            authority = authority.split(stop, 1)[0]
        _userinfo, at, hostport = authority.rpartition("@")
        host = _split_host(hostport)[0]
        yield start, end, host, bool(at)


def _split_host(hostport: str) -> tuple[str, str, str]:
    """(host, port, path) of ``host[:port][/path]``, host lower-cased without a final dot."""
    cut = len(hostport)
    for stop in "/?#":
        at = hostport.find(stop)
        if at != -1:
            cut = min(cut, at)
    head, rest = hostport[:cut], hostport[cut:]
    if head.startswith("["):
        host, _, port = head[1:].partition("]")
    else:
        host, _, port = head.partition(":")
    return host.lower().rstrip("."), port, rest


def _trim(text: str, start: int, end: int) -> int:
    """End of a link without the sentence punctuation after it (a closing bracket stays only
    when the link opened it: ``https://en.wikipedia.org/wiki/Foo_(bar)``)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    link = text[start:end]
    balance = {c: link.count(c) - link.count(o) for c, o in pairs.items()}  # closers in excess
    while end > start:
        ch = text[end - 1]
        if ch in _TRAILING:
            end -= 1
        elif ch in pairs and balance[ch] > 0:
            balance[ch] -= 1
            end -= 1
        else:
            break
    return end


def _is_public(host: str, public: frozenset[str]) -> bool:
    """``host`` is an allowed domain or one of its subdomains."""
    return host in public or any(host.endswith("." + allowed) for allowed in public)


def _is_domain(host: str) -> bool:
    if host in _NAMES or "." not in host:
        return False
    labels = host.split(".")
    suffix = labels[-1]
    if not any(c.isalpha() for c in suffix):
        return False
    if suffix in _PRIVATE_TLDS:
        return True
    if len(labels) == 2 and suffix in _FILE_SUFFIXES:
        return False
    return _listed_tld(suffix)


# Markdown emphasis and table signs before an ``@`` are no local part (``**@jane.doe**``).
_MARKUP = frozenset("*_~'`.|")
# The last part of a version (``5.4.0.Final``, ``2.0.dev1``).
_QUALIFIER_RE = compile_linear(r"(?:final|release|ga|snapshot|alpha|beta|rc|dev|post|pre|m)[0-9]*")
# Local parts that are Kotlin keywords before a label (``this@MainActivity.run``,
# ``return@forEach``), not a mailbox.
_CODE_LOCALS = frozenset("this super return break continue".split())


def find_emails(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _EMAIL_RE.finditer(text):
        start = m.start()
        local, _, domain = text[start : m.end()].rpartition("@")
        at = start + len(local)
        if "?" in local:  # in a query (``?q=jane@example.com``): the address starts after it
            start += max(local.rfind(c) for c in "?=&/") + 1
        if text[start] != '"':
            while start < at and text[start] in _MARKUP:
                start += 1
            first = start  # and punctuation before a local part is not part of the address
            while first < at and not text[first].isalnum():
                first += 1
            start = first if first < at else start
        if start < at and text[start:at].lower() not in _CODE_LOCALS and _is_mail_host(domain):
            spans.append(Span(start, m.end(), Label.EMAIL, certain=True))
    for pattern in (_BRACKET_AT_RE, _SPOKEN_AT_RE):
        for m in pattern.finditer(text):
            written = text[m.start() : m.end()]
            domain = _unspell(written).rsplit("@", 1)[-1]
            # "jane [at] example [dot] zz" is an address; "look at this dot product" is prose.
            if _is_mail_domain(domain) or (pattern is _BRACKET_AT_RE and _is_mail_host(domain)):
                spans.append(Span(m.start(), m.end(), Label.EMAIL, certain=True))
    return spans + _logins(text)


def _is_mail_host(domain: str) -> bool:
    """Whether ``x@domain`` is an e-mail address (under any suffix) rather than a version after
    a package name or code."""
    labels = domain.lower().rstrip(".").split(".")
    tld = labels[-1]
    if len(tld) < 2 or not tld[0].isalpha():  # lodash@4.17.21, react@18.x
        return False
    if labels[0].isdigit() and labels[1].isdigit() and _QUALIFIER_RE.fullmatch(tld):
        return False  # hibernate-core@5.4.0.Final, pkg@1.0.rc1
    return labels[0] not in ("self", "this")  # x@self.weight: a matrix product


def _logins(text: str) -> list[Span]:
    """``user@host`` after an ``ssh``-like command on the same line."""
    commands = [m.end() for m in _LOGIN_COMMAND_RE.finditer(text)]
    if not commands:
        return []
    line_starts = [0]
    newline = text.find("\n")
    while newline != -1:
        line_starts.append(newline + 1)
        newline = text.find("\n", newline + 1)
    spans: list[Span] = []
    for m in _LOGIN_RE.finditer(text):
        start, at = m.start(), text.index("@", m.start(), m.end())
        while start < at and not text[start].isalnum():
            start += 1
        command = bisect.bisect_right(commands, start) - 1
        line = line_starts[bisect.bisect_right(line_starts, start) - 1]
        if start < at and command >= 0 and commands[command] > line:
            spans.append(Span(start, m.end(), Label.EMAIL, certain=True))
    return spans


def _unspell(written: str) -> str:
    """``written`` with spelled-out "at" and "dot" back to ``@`` and ``.``."""
    out: list[str] = []
    last = 0
    for m in _DOT_WORDS_RE.finditer(written):
        word = written[m.start() : m.end()].lower()
        out.append(written[last : m.start()])
        out.append("." if "dot" in word else "@")
        last = m.end()
    out.append(written[last:])
    return "".join(out)


def _is_mail_domain(domain: str) -> bool:
    tld = domain.lower().rstrip(".").rsplit(".", 1)[-1]
    return tld in _PRIVATE_TLDS or _listed_tld(tld)


def find_ip_addresses(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _IPV4_RE.finditer(text):
        start, end = m.start(), m.end()
        before = text[max(0, start - 2) : start]
        after = text[end : end + 2]
        # Glued to a word, or one part of a longer dotted number (a version such as 1.10.0.0.1).
        if before[-1:].isalnum() or (before[-1:] == "." and before[:1].isdigit()):
            continue
        if after[:1] == "." and after[1:].isdigit():
            continue
        if after[:1].isdigit():
            continue
        dotted = text[start:end].replace("[.]", ".").replace("(.)", ".")
        octets = dotted.split(":", 1)[0].split("/", 1)[0].split(".")
        if all(int(o) <= 255 for o in octets):
            spans.append(Span(start, end, Label.IP_ADDRESS))
    for m in _IPV6_RE.finditer(text):
        found = _ipv6(text, m.start(), m.end())
        if found:
            spans.append(Span(found[0], found[1], Label.IP_ADDRESS))
    return spans


def _ipv6(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The IPv6 address in candidate ``text[start:end]``, if any: the candidate itself, without
    trailing punctuation, or without a leading ``x:`` glued to a word (``IPv6:fe80::1``)."""
    if text.count(":", start, end) < 2:  # "a:b", "10:30": not an address (the common case)
        return None
    for _ in range(3):
        if text.startswith(":", start) and not text.startswith("::", start):
            start += 1
        stop = end
        while stop > start and text[stop - 1] == ".":
            stop -= 1
        before = text[start - 1] if start else " "
        if not (before.isalnum() or before == "_"):
            for last in (stop, stop - 1 if text[stop - 1 : stop] == ":" else -1):
                if last > start and _is_ipv6(text[start:last]):
                    return start, last
        colon = text.find(":", start + 1, end)
        if colon == -1:
            return None
        start = colon
    return None


def _is_ipv6(candidate: str) -> bool:
    address = candidate.split("%", 1)[0]
    if address.count(":") < 2 or len(address) > 45:
        return False
    # "a::b" and "std::" are C++ scopes: "x::y" is an address only with a decimal digit.
    if address.count(":") == 2 and not any(c.isdigit() for c in address):
        return False
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True
