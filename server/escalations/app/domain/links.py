"""Links to things raised outside Mattermost (a GitHub issue, a post on X, a forum thread): how a
link is checked and normalised, which escalation it makes, and how the escalation post shows it.

Normalisation makes the same page give the same escalation however it was copied:

* only ``http`` and ``https``, with a host; no user name or password; at most ``MAX_URL_CHARS``
  characters, no spaces or control characters;
* the scheme and the host are lower-cased (a final dot dropped), a non-ASCII host written as
  punycode, the default port (80 for ``http``, 443 for ``https``) dropped;
* trailing slashes of the path are dropped (``https://github.com/org/repo/`` is
  ``https://github.com/org/repo``); the rest of the path keeps its case;
* the fragment (``#issuecomment-1``) is dropped, and so are tracking parameters of the query
  (``utm_*`` and the click ids in ``TRACKING_PARAMETERS``); the other parameters stay in their
  order.

The escalation of a link under a topic has a fixed id (``link_escalation_id``), so escalating it
twice finds the first one, as for posts. Only the link as the post shows it is stored: a link whose
domain is not on the public allow-list is shown, and kept, as the redaction's placeholder.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from urllib.parse import SplitResult, urlsplit, urlunsplit

from escalations.app.domain import redact
from escalations.app.domain.errors import InvalidLink, InvalidSummary
from escalations.app.domain.model import Escalation

MAX_URL_CHARS = 2000
# Characters of the summary that replaces the excerpt for a link.
SUMMARY_MAX_CHARS = 500
# How the escalation post names where a link escalation comes from.
OUTSIDE = "outside Mattermost"
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMETERS = frozenset(
    """fbclid gclid dclid gbraid wbraid msclkid yclid twclid igshid mc_cid mc_eid _hsenc _hsmi
    mkt_tok ref_src ref_url""".split()
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>\"`{}|\\^]")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_USAGE = "Give an http(s) link, e.g. https://github.com/org/repo/issues/1."


@dataclass(frozen=True)
class LinkRequest:
    """What someone asks to escalate: the link as given, the topic, a short summary, an optional
    note, and the channel they asked from (a hint, for their confirmation)."""

    url: str
    topic: str
    summary: str
    note: str = ""
    channel_id: str = ""


@dataclass(frozen=True)
class CheckedLink:
    """A link that passed ``normalise``, and how the escalation post would show it."""

    url: str
    shown: str

    @property
    def kept(self) -> bool:
        return self.shown == self.url


def normalise(raw: str) -> str:
    """The normalised form of ``raw`` (see the module docstring).

    Raises:
        InvalidLink: with what is wrong with the link, for the person who gave it.
    """
    text = raw.strip().removeprefix("<").removesuffix(">")
    if "://" not in text:
        raise InvalidLink(f"That is not a link. {_USAGE}")
    if len(text) > MAX_URL_CHARS:
        raise InvalidLink(f"The link is longer than {MAX_URL_CHARS} characters.")
    if _FORBIDDEN.search(text):
        raise InvalidLink("The link contains spaces or characters a link cannot have.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidLink(f"That is not a valid link. {_USAGE}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidLink(f"Only http and https links can be escalated. {_USAGE}")
    if parts.username is not None or parts.password is not None:
        raise InvalidLink("Leave the user name and password out of the link.")
    host = _host(parts.hostname or "")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit(SplitResult(scheme, netloc, path, _query(parts.query), ""))


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidLink("The link's host name is not valid.") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise InvalidLink("The link's host name is not valid.")
    return ascii_host


def _query(query: str) -> str:
    kept = [p for p in query.split("&") if p and not _tracking(p.split("=", 1)[0])]
    return "&".join(kept)


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def link_escalation_id(url: str, topic: str) -> str:
    """The id of the escalation of the normalised ``url`` under ``topic``: deterministic, so the
    same link and topic find the same record; never the id of a post's escalation (another input
    to the hash)."""
    digest = hashlib.sha256(f"link\n{url}\n{topic}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:26]


def shown(url: str, public_domains: frozenset[str]) -> redact.Redaction:
    """The normalised ``url`` as the escalation post shows it: itself when its domain is on the
    public allow-list, else the redaction's placeholder (personal data inside a kept link is
    replaced as in any text)."""
    return redact.redact_counted(url, MAX_URL_CHARS, public_domains)


def check_summary(summary: str) -> str:
    """The summary, stripped; refused when empty or longer than ``SUMMARY_MAX_CHARS``."""
    text = summary.strip()
    if not text:
        raise InvalidSummary("Say in a few words what the link is about.")
    if len(text) > SUMMARY_MAX_CHARS:
        raise InvalidSummary(f"The summary is longer than {SUMMARY_MAX_CHARS} characters.")
    return text


def new_record(base: Escalation, shown_url: str, channel_id: str, note: str) -> Escalation:
    """``base`` (topic, people, times) as the escalation of the link shown as ``shown_url``."""
    return replace(
        base, source_url=shown_url, source_channel=OUTSIDE, channel_id=channel_id, note=note
    )
