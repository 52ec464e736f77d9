"""Phone numbers, payment card numbers, IBANs and US social security numbers.

Each candidate is a bounded run of digits and separators found in one linear scan, then checked in
code: cards by the Luhn checksum and an issuer prefix, IBANs by their mod-97 checksum, phone
numbers by libphonenumber (``phonenumbers``) after the shapes of dates, times, versions and years
are set aside. A phone number needs a ``+`` or separators between its digit groups, so ids and
timestamps stay.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from .linear import compile_linear
from .spans import Label, Span

_DASHES = r"\x{2010}-\x{2015}\x{2212}"
_PHONE_RE = compile_linear(rf"\+?[0-9(](?:[0-9]|[ \t./()\-{_DASHES}]){{5,40}}[0-9]")
_CARD_RE = compile_linear(r"[0-9](?:[ -]?[0-9]){12,18}")
_IBAN_RE = compile_linear(r"[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){11,30}")
_SSN_RE = compile_linear(r"[0-9]{3}([- ])[0-9]{2}[- ][0-9]{4}")
_DATE_RE = compile_linear(
    r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}(?:[^0-9].*)?|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{2,4}"
    r"(?:[^0-9].*)?"
)
# Length of the IBAN in each country that issues them (the ISO 13616 registry).
_IBAN_LENGTHS = {
    code: int(length)
    for code, length in (
        entry.split(":")
        for entry in """AD:24 AE:23 AL:28 AT:20 AZ:28 BA:20 BE:16 BG:22 BH:22 BR:29 BY:28 CH:21
        CR:22 CY:28 CZ:24 DE:22 DK:18 DO:28 EE:20 EG:29 ES:24 FI:18 FO:18 FR:27 GB:22 GE:22
        GI:23 GL:18 GR:27 GT:28 HR:21 HU:28 IE:22 IL:23 IQ:23 IS:26 IT:27 JO:30 KW:30 KZ:20
        LB:28 LC:32 LI:21 LT:20 LU:20 LV:21 MC:27 MD:24 ME:22 MK:19 MR:27 MT:31 MU:30 NL:18
        NO:15 PK:24 PL:28 PS:29 PT:25 QA:29 RO:24 RS:22 SA:24 SC:31 SE:24 SI:19 SK:24 SM:27
        ST:25 SV:28 TL:23 TN:24 TR:26 UA:29 VA:22 VG:24 XK:20""".split()
    )
}
_SEPARATORS = frozenset(" \t./()-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_DROP_SEPARATORS = str.maketrans("", "", "".join(_SEPARATORS) + "+")
# Where national numbers without a country code are most often written in our communities.
_REGIONS = ("US", "GB", "DE", "FR", "IN", "BR", "ES", "IT", "NL", "AU", "CA", "PL")
# libphonenumber costs tens of microseconds a call: past this many candidates in one message, a
# well-shaped number is taken as a phone number without asking it (over-redact, never stall).
_LIBRARY_BUDGET = 64


def find_numbers(text: str) -> list[Span]:
    return [*_cards(text), *_ibans(text), *_ssns(text), *_phones(text)]


def _glued(text: str, start: int, end: int) -> bool:
    """The run is part of a longer word or number (``_`` around it is Markdown emphasis)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or after.isalnum()


def _continues(text: str, start: int) -> bool:
    """The run at ``start`` continues a word or a number (``1.5``, ``12-``) written before it."""
    before = text[max(0, start - 2) : start]
    return before[-1:].isalnum() or (before[-1:] in (".", "-", "/", ",") and before[:1].isdigit())


def _phones(text: str) -> list[Span]:
    spans: list[Span] = []
    budget = _LIBRARY_BUDGET
    for m in _PHONE_RE.finditer(text):
        start, end = m.start(), m.end()
        if _glued(text, start, end) or _continues(text, start):
            continue
        candidate = text[start:end]
        if not _phone_shape(candidate):
            continue
        if budget > 0:
            budget -= 1
            if not _possible_phone(candidate):
                continue
        spans.append(Span(start, end, Label.PHONE))
    return spans


def _phone_shape(candidate: str) -> bool:
    digits = len(candidate.translate(_DROP_SEPARATORS))
    international = candidate.startswith("+")
    if not (8 if international else 9) <= digits <= 15:
        return False
    if not international and not any(c in _SEPARATORS for c in candidate):
        return False
    if _DATE_RE.fullmatch(candidate) is not None:
        return False
    groups = [g for g in _split(candidate) if g]
    if (
        not international
        and candidate.count(".")
        and all(c.isdigit() or c == "." for c in candidate)
    ):
        # 415.555.0100 is a phone number; 1.2.3.4.5 or 10.11.0.1 are versions.
        if len(groups) > 4 or any(len(g) < 2 for g in groups):
            return False
    # Years in a row ("2019 2020 2021") and lists of short numbers are not phone numbers.
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return False
    return not (len(groups) > 5 and all(len(g) <= 2 for g in groups[1:]) and not international)


def _split(candidate: str) -> list[str]:
    groups, current = [], []
    for c in candidate:
        if c.isdigit():
            current.append(c)
        else:
            groups.append("".join(current))
            current = []
    groups.append("".join(current))
    return groups


@lru_cache(maxsize=1)
def _phonenumbers() -> ModuleType:
    """libphonenumber, imported on first use (it takes a while: not at plugin start)."""
    import phonenumbers

    return phonenumbers


def _possible_phone(candidate: str) -> bool:
    phonenumbers = _phonenumbers()
    regions: tuple[str | None, ...] = (None,) if candidate.startswith("+") else _REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


def _cards(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _CARD_RE.finditer(text):
        start = m.start()
        if _continues(text, start):
            continue
        if not _issuer(text[start : start + 4]):
            continue
        ends = [i + 1 for i in range(start, m.end()) if text[i].isdigit()]
        digits = [int(c) for c in text[start : m.end()].translate(_DROP_SEPARATORS)]
        valid = _luhn_prefixes(digits)
        for length in range(len(digits), 12, -1):
            stop = ends[length - 1]
            if stop < len(text) and text[stop].isalnum():
                continue
            if valid[length]:
                spans.append(Span(start, stop, Label.CARD, certain=True))
                break
    return spans


def _issuer(lead: str) -> bool:
    """Major card networks by the leading digits: Visa, Mastercard (51-55, 2221-2720), American
    Express, Diners, Discover, JCB, UnionPay, Maestro."""
    if lead[0] in "3456":
        return True
    lead = lead.translate(_DROP_SEPARATORS)
    return lead[0] == "2" and 2221 <= int(lead[:4]) <= 2720


def _luhn_prefixes(digits: list[int]) -> list[bool]:
    """``valid[n]``: whether the first ``n`` digits pass the Luhn check (one pass for all n: a
    digit is doubled when an odd number of digits follow it in the prefix)."""
    plain = [0]
    doubled = [0]
    for i, d in enumerate(digits):
        twice = d * 2 - 9 if d > 4 else d * 2
        # Sums over the digits at even / odd positions, each taken plain or doubled.
        plain.append(plain[-1] + (d if i % 2 == 0 else twice))
        doubled.append(doubled[-1] + (twice if i % 2 == 0 else d))
    # Prefix of length n: digit i is doubled when (n - 1 - i) is odd.
    return [(doubled[n] if n % 2 == 0 else plain[n]) % 10 == 0 for n in range(len(digits) + 1)]


def _ibans(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _IBAN_RE.finditer(text):
        start = m.start()
        if start and text[start - 1].isalnum():
            continue
        if not text[start : start + 2].isupper():
            continue
        length = _IBAN_LENGTHS.get(text[start : start + 2])
        if length is None:
            continue
        chars = [(i, c.upper()) for i, c in enumerate(text[start : m.end()], start) if c != " "]
        if len(chars) < length:
            continue
        stop = chars[length - 1][0] + 1
        if stop < len(text) and text[stop].isalnum():
            continue
        if _mod97("".join(c for _, c in chars[:length])):
            spans.append(Span(start, stop, Label.IBAN, certain=True))
    return spans


def _mod97(iban: str) -> bool:
    """The IBAN check: country code and check digits moved behind the account number, letters
    as 10..35, the whole number modulo 97 is 1."""
    remainder = 0
    for c in iban[4:] + iban[:4]:
        if c.isdigit():
            remainder = (remainder * 10 + ord(c) - 48) % 97
        elif "A" <= c <= "Z":
            remainder = (remainder * 100 + ord(c) - 55) % 97
        else:
            return False
    return remainder == 1


def _ssns(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _SSN_RE.finditer(text):
        start, end = m.start(), m.end()
        if _glued(text, start, end) or _continues(text, start):
            continue
        if text[end : end + 1] in ("-", "/") or (
            text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit()
        ):
            continue
        area, group, serial = (
            text[start : start + 3],
            text[start + 4 : start + 6],
            text[end - 4 : end],
        )
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            continue
        spans.append(Span(start, end, Label.SSN, certain=True))
    return spans
