"""Redaction as properties: an address of any valid form, glued to any common punctuation, never
survives into the excerpt (hypothesis generates the addresses)."""

from __future__ import annotations

import ipaddress

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalations.app.redact import redact

# What commonly sits right before / after an address in a chat message. Not "." before one (a
# guard keeps dotted version numbers such as 1.10.0.0.1 intact) and, for IPv6, not ":" (":::1").
BEFORE = ["", " ", ",", "(", "<", "\n", "=", "'", '"', "ip ", "mail ", "[", "/"]
AFTER = st.sampled_from(["", " ", ".", ",", ":", ")", ">", "\n", "'", '"', "!", "?", ";", "]"])
EXAMPLES = settings(max_examples=300, deadline=None)


def _excerpt(before: str, text: str, after: str) -> str:
    return redact(f"see {before}{text}{after} now", 500)


@EXAMPLES
@given(
    address=st.ip_addresses(v=6),
    form=st.sampled_from(["compressed", "exploded"]),
    before=st.sampled_from([*BEFORE, "ip:"]),
    after=AFTER,
)
def test_no_ipv6_survives(
    address: ipaddress.IPv6Address, form: str, before: str, after: str
) -> None:
    text = getattr(address, form)
    # "x::y" without a decimal digit is written like a C++ scope (a::b); those stay (by design).
    assume(not (text.count(":") == 2 and not any(c.isdigit() for c in text)))
    assert text not in _excerpt(before, text, after)


@EXAMPLES
@given(address=st.ip_addresses(v=4), before=st.sampled_from([*BEFORE, ":"]), after=AFTER)
def test_no_ipv4_survives(address: ipaddress.IPv4Address, before: str, after: str) -> None:
    assert str(address) not in _excerpt(before, str(address), after)


@EXAMPLES
@given(address=st.emails(), before=st.sampled_from([*BEFORE, ":"]), after=AFTER)
def test_no_email_survives(address: str, before: str, after: str) -> None:
    out = _excerpt(before, address, after)
    domain = address.rsplit("@", 1)[1]
    assert address not in out and domain not in out, out
