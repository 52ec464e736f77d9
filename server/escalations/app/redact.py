"""Redaction of community end-user information from the excerpt quoted in an escalation post.

The policy's response-writing tips say "Keep community end user information secure": the excerpt of
the original message is copied into another channel, so personal and secret data is replaced by a
labelled placeholder before it leaves: ``[url]``, ``[email]``, ``[secret]``, ``[ip-address]``,
``[domain]``, ``[phone]`` (a domain followed by a path, query or fragment is a ``[url]``; a PEM
private key block is one ``[secret]``). Order matters — URLs and e-mail addresses contain
domains, and tokens can look like anything — so the passes run from the most to the least specific.

Heuristics, chosen to over-redact rather than leak, with two guards against noise in technical
text: domains need a known top-level domain (so ``config.json`` or ``main.py`` stay), and phone
numbers need a ``+`` or separators between digit groups (so timestamps and ids stay).
"""

from __future__ import annotations

import ipaddress
import re

# Input beyond this is dropped before the regular expressions run (bounds their cost).
MAX_INPUT_CHARS = 20_000
ELLIPSIS = "…"

URL = "[url]"
EMAIL = "[email]"
SECRET = "[secret]"
IP_ADDRESS = "[ip-address]"
DOMAIN = "[domain]"
PHONE = "[phone]"

# The scheme's length is bounded: unbounded, "a.a.a.a..." made every word boundary scan to the end
# (quadratic; a second for 20 000 characters).
_URL_RE = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{0,31}://|www\.)[^\s<>\"'`)\]]+")
# Local part with every character RFC 5322 allows unquoted (``o'neil+x@``, ``*@``), or quoted
# (``"jane doe"@``); domain labels may be internationalised.
_EMAIL_RE = re.compile(
    r"(?i)(?:(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+|\"[^\"\n]{1,64}\")"
    r"@(?:[\w-]+\.)+[^\W\d_]{2,24}\b"
)
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
)
_SECRET_ASSIGN_RE = re.compile(
    r"(?i)\b((?:api[_-]?key|access[_-]?key|secret(?:[_-]?key)?|client[_-]?secret|token|"
    r"auth[_-]?token|password|passwd|pwd|private[_-]?key)[\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|\S+)"
)
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_KNOWN_TOKEN_RE = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{16,}|glpat-[A-Za-z0-9_-]{16,}"
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|npm_[A-Za-z0-9]{30,}|hf_[A-Za-z0-9]{30,}"
    r"|ya29\.[A-Za-z0-9_-]{20,}"
    r"|eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)"
)
_LONG_TOKEN_RE = re.compile(r"(?<![\w/+=-])[A-Za-z0-9_+/=-]{32,}(?![\w/+=-])")
# May follow a colon: ``ip:2001:db8::1`` (a candidate is matched greedily, so an address is never
# cut in two by this).
_IPV6_CANDIDATE_RE = re.compile(r"(?i)(?<![\w.])[0-9a-f:.]*:[0-9a-f:.]*(?:%\w+)?(?![\w:])")
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5}|/\d{1,2})?(?![\w.]*\d)")
# A bare domain; followed by a path, query or fragment it is a URL without a scheme (group 2).
_DOMAIN_RE = re.compile(
    r"(?i)(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})(?::\d{1,5})?"
    r"(?![\w-]|\.[a-z0-9])([/?#][^\s<>\"'`)\]]*)?"
)
# Groups of digits with separators (``0151 12345678``, ``+33 6 12 34 56 78``, ``+49 (0) 30 ...``);
# the digit count decides in ``_phone``.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]\d{1,8}){1,6}(?!\w)"
    r"|(?<![\w+])\(\d{1,4}\)[\s.-]?\d{2,8}(?:[\s.-]\d{1,8}){0,4}(?!\w)"
    r"|(?<![\w+])\+\d{8,15}(?!\w)"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")

# Top-level domains that count for a bare domain name. Common file extensions that are also
# country codes (py, md, sh, rs, ...) are deliberately absent.
_TLDS = frozenset(
    """com net org edu gov mil int info biz io dev app ai co me us uk de fr eu ca au nz nl be at
    ch se no fi dk pl cz sk hu ro bg gr pt es it ie ru ua by kz cn jp kr tw hk sg my id th vn ph
    in pk bd lk ir il tr sa ae eg za ng ke br ar cl mx pe ve uy tv cloud tech online site xyz
    local internal corp lan intranet home company team chat email network systems solutions
    services digital media news blog shop store page live work zone space one club mobi name pro
    aero coop museum travel jobs asia global world""".split()
)


def redact(text: str, max_chars: int) -> str:
    """``text`` with personal and secret data replaced by placeholders, cut to ``max_chars``
    characters (an ellipsis marks a cut; ``max_chars <= 0`` gives ``""``)."""
    if max_chars <= 0 or not text:
        return ""
    out = text[:MAX_INPUT_CHARS]
    out = _PRIVATE_KEY_RE.sub(SECRET, out)
    out = _URL_RE.sub(URL, out)
    out = _EMAIL_RE.sub(EMAIL, out)
    out = _redact_secrets(out)
    out = _IPV6_CANDIDATE_RE.sub(_ipv6, out)
    out = _IPV4_RE.sub(_ipv4, out)
    out = _DOMAIN_RE.sub(_domain, out)
    out = _PHONE_RE.sub(_phone, out)
    return _cap(out, max_chars)


def _redact_secrets(text: str) -> str:
    text = _SECRET_ASSIGN_RE.sub(lambda m: m.group(1) + SECRET, text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + " " + SECRET, text)
    text = _KNOWN_TOKEN_RE.sub(SECRET, text)
    return _LONG_TOKEN_RE.sub(_long_token, text)


def _long_token(match: re.Match[str]) -> str:
    """A long run of token characters is a secret when it mixes upper case, lower case and
    digits (API keys, passwords); hex digests and words joined by dashes stay."""
    s = match.group(0)
    mixed = any(c.isupper() for c in s) and any(c.islower() for c in s)
    return SECRET if mixed and any(c.isdigit() for c in s) else s


def _ipv6(match: re.Match[str]) -> str:
    candidate = match.group(0)
    # Punctuation after the address (a full stop, a "2001:db8::1:" colon) is not part of it.
    trimmed = candidate.rstrip(".")
    for address in (trimmed, trimmed[:-1] if trimmed.endswith(":") else ""):
        if address.count(":") < 2:
            continue
        try:
            ipaddress.IPv6Address(address.split("%", 1)[0])
        except ValueError:
            continue
        return IP_ADDRESS + candidate[len(address) :]
    return candidate


def _ipv4(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(match.group(1))
    except ValueError:
        return match.group(0)
    return IP_ADDRESS


def _domain(match: re.Match[str]) -> str:
    if match.group(1).lower() not in _TLDS:
        return match.group(0)
    return URL if match.group(2) else DOMAIN


def _phone(match: re.Match[str]) -> str:
    s = match.group(0)
    digits = sum(c.isdigit() for c in s)
    if not 9 <= digits <= 15 or _DATE_RE.match(s):
        return s
    if not s.startswith("+") and not re.search(r"[\s.()-]", s):
        return s
    return PHONE


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max(0, max_chars - 1)]
    # Never leave half a placeholder behind.
    opening = cut.rfind("[")
    if opening != -1 and "]" not in cut[opening:]:
        cut = cut[:opening]
    return cut.rstrip() + ELLIPSIS
