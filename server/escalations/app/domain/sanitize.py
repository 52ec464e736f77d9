"""User text made safe to show inside the bot's Markdown posts.

Everything a community member controls (the quoted excerpt, the note, a private channel's display
name) goes through here before it is placed in an escalation post, so it can only ever read as
that person's text:

* every kind of line break (CR, CRLF, VT, FF, NEL U+0085, LS/PS U+2028/U+2029, U+2424, the
  file/group/record separators) becomes one ``\\n``, so the caller quotes every line; a lone CR
  can no longer end a quote and start a line that looks like the bot's own (``**Status:**``);
* other control characters and bidirectional overrides are dropped;
* Markdown punctuation is backslash-escaped: no headings, bold, links or images
  (``![x](https://tracker)``), tables or code blocks (brackets only where they could link, so the
  redaction's ``[email]`` placeholders read as they are);
* ``@`` gets a zero-width joiner (mentions nobody, ``@channel`` included), and ``://`` and
  ``www.`` get a zero-width space, so neither the clients nor the server's link previews turn the
  text into links or embedded images.

Only the characters Mattermost's Markdown renderer accepts as escapes are escaped (an escape it
does not know would show its backslash).
"""

from __future__ import annotations

import re

ZERO_WIDTH_JOINER = "\u200d"
ZERO_WIDTH_SPACE = "\u200b"

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u2424]")
# C0/C1 controls except tab and newline, bidirectional marks and overrides, byte order mark.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_MARKDOWN = re.compile(r"([\\`*_()#!|~>])")
# A ``[`` opening a line could start a link reference definition; elsewhere brackets only link
# when followed by ``(`` (escaped above), so placeholders such as ``[email]`` stay as they are.
_LINE_START_BRACKET = re.compile(r"(?m)^(\s*)\[")
_AUTOLINK = re.compile(r"(?i)(:)(//)|(www)(\.)")
# A web address as the clients link it; one character class repeated, so matching is linear.
_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"'`()\[\]{}|\\^@*]+")


def lines(text: str, *, keep_links: bool = False) -> list[str]:
    """``text`` made safe (see the module docstring), one string per line; ``[]`` for no text.
    The caller puts each line inside its quote.

    ``keep_links``: plain ``http(s)://`` addresses stay as they are, so the clients link them.
    Only for text that went through redaction, which replaced every address that is not on the
    public-links allow-list: what is left is a public thread the responders should open. An
    address with an ``@`` in it is never kept; Markdown links and images stay neutralised."""
    normalised = _LINE_BREAKS.sub("\n", text)
    if keep_links:
        cleaned, at = [], 0
        for match in _URL.finditer(normalised):
            cleaned += [_clean(normalised[at : match.start()]), match.group(0)]
            at = match.end()
        cleaned.append(_clean(normalised[at:]))
        joined = "".join(cleaned).strip("\n")
    else:
        joined = _clean(normalised).strip("\n")
    return joined.split("\n") if joined else []


def user_text(text: str, *, keep_links: bool = False) -> str:
    """``text`` made safe, lines joined by ``\\n`` (every line break normalised)."""
    return "\n".join(lines(text, keep_links=keep_links))


def quote(text: str) -> list[str]:
    """``text`` made safe as Markdown quote lines (``> ...``)."""
    return ["> " + line for line in lines(text)]


def name(text: str) -> str:
    """A display name made safe for one line of a post: line breaks become spaces."""
    return " ".join(part for part in lines(text) if part).strip()


def _clean(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _LINE_START_BRACKET.sub(r"\1\\[", text)
    text = text.replace("@", "@" + ZERO_WIDTH_JOINER)
    return _AUTOLINK.sub(_break_link, text)


def _break_link(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + ZERO_WIDTH_SPACE + match.group(2)
    return match.group(3) + ZERO_WIDTH_SPACE + match.group(4)
