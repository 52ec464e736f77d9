"""Numbers at their edges, word for word: card numbers of every length and issuer, the Luhn and
IBAN checksums, the SSN rules, and the shapes that make (or do not make) a phone number."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import redact
from escalations.app.domain.redaction.numbers import find_numbers
from escalations.app.domain.redaction.spans import Label


def _luhn_completed(prefix: str, length: int) -> str:
    """``prefix`` padded with zeros to ``length`` digits, the last one chosen to pass Luhn."""
    for last in "0123456789":
        number = prefix + "0" * (length - len(prefix) - 1) + last
        total = 0
        for i, ch in enumerate(reversed(number)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return number
    raise AssertionError(prefix)


def _iban(country: str, account: str) -> str:
    """An IBAN with correct check digits (ISO 13616: the account, the country, "00", mod 97)."""
    number = int("".join(str(int(c, 36)) for c in account + country + "00"))
    return f"{country}{98 - number % 97:02d}{account}"


def _only(label: Label, text: str) -> list[str]:
    return [text[s.start : s.end] for s in find_numbers(text) if s.label is label]


# --- cards


@pytest.mark.parametrize(
    ("prefix", "length"),
    [
        ("4", 13),
        ("4", 16),
        ("4", 17),
        ("4", 18),
        ("4", 19),
        ("37", 15),  # American Express: an odd length
        ("51", 16),
        ("55", 16),
        ("2221", 16),  # the ends of Mastercard's 2-series
        ("2720", 16),
        ("6011", 16),
        ("35", 16),
    ],
)
def test_a_card_of_each_issuer_and_length(prefix: str, length: int) -> None:
    number = _luhn_completed(prefix, length)
    assert redact(f"pay {number} now", 500) == "pay [card-number] now"
    grouped = " ".join(number[i : i + 4] for i in range(0, length, 4))
    assert redact(f"pay {grouped} now", 500) == "pay [card-number] now"


@pytest.mark.parametrize(
    ("prefix", "length"),
    [("2220", 16), ("2721", 16), ("1", 16), ("7", 16), ("8", 16), ("9", 16), ("4", 12)],
)
def test_no_card_without_an_issuer_or_with_too_few_digits(prefix: str, length: int) -> None:
    number = _luhn_completed(prefix, length)
    assert _only(Label.CARD, f"pay {number} now") == []


@pytest.mark.parametrize("length", [13, 15, 16, 19])
def test_a_wrong_check_digit_is_no_card(length: int) -> None:
    number = _luhn_completed("4", length)
    for wrong in "0123456789":
        if wrong != number[-1]:
            assert _only(Label.CARD, f"pay {number[:-1]}{wrong} now") == [], wrong


def test_every_digit_counts_in_the_checksum() -> None:
    number = _luhn_completed("4", 16)
    for position in range(1, 15):  # changing any one digit breaks it
        digit = str((int(number[position]) + 1) % 10)
        changed = number[:position] + digit + number[position + 1 :]
        assert _only(Label.CARD, f"pay {changed} now") == [], changed
    odd = _luhn_completed("37", 15)
    for position in range(2, 14):
        digit = str((int(odd[position]) + 5) % 10)
        changed = odd[:position] + digit + odd[position + 1 :]
        assert _only(Label.CARD, f"pay {changed} now") == [], changed


def test_the_longest_valid_card_in_a_run_of_digits() -> None:
    card = _luhn_completed("4", 16)
    assert _only(Label.CARD, f"pay {card} 22 now") == [card]
    assert _only(Label.CARD, f"pay {card}7x now") == []  # glued to a word
    assert _only(Label.CARD, f"pay 1.{card} now") == []  # continues a number
    assert _only(Label.CARD, f"pay x{card} now") == []
    assert _only(Label.CARD, f"x{card}") == []  # glued to the first character of the message


# --- IBANs


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        _iban("GB", "ZZZZ12345698765432"),  # letters up to Z
        _iban("GB", "AAAA12345698765432"),
        _iban("NO", "12345678901"),  # the shortest
        _iban("LC", "ABCD" + "1" * 24),  # the longest
    ],
)
def test_ibans(iban: str) -> None:
    assert redact(f"iban {iban} ok", 500) == "iban [iban] ok"
    assert _only(Label.IBAN, f"iban {iban} ok") == [iban]


@pytest.mark.parametrize(
    "text",
    [
        "de89 3704 0044 0532 0130 00",  # a country code is written in capitals
        "DE88 3704 0044 0532 0130 00",  # wrong check digits
        "DE89 3704 0044 0532 0130 01",
        "xDE89370400440532013000",
        "DE89370400440532013000X",  # longer than Germany's 22 characters
        "DE89 3704 0044 0532 0130",  # shorter
        "ZZ89 3704 0044 0532 0130 00",  # no such country
        "GB67WEST12345698765Z1",
    ],
)
def test_no_iban(text: str) -> None:
    assert _only(Label.IBAN, f"iban {text} ok") == []


def test_an_iban_inside_a_link_to_a_public_site_goes() -> None:
    text = "see github.com/pay/DE89370400440532013000 now"
    assert redact(text, 500) == "see github.com/pay/[iban] now"


def test_an_iban_ends_at_its_country_length() -> None:
    assert redact("iban DE89 3704 0044 0532 0130 00 12 ok", 500) == "iban [iban] 12 ok"
    gb = _iban("GB", "ZZZZ12345698765432")
    assert redact(f"iban {gb.lower()} ok", 500) == f"iban {gb.lower()} ok"


# --- US social security numbers


@pytest.mark.parametrize(
    "ssn", ["078-05-1120", "078 05 1120", "078-05 1120", "899-12-3456", "665-12-3456"]
)
def test_ssns(ssn: str) -> None:
    assert _only(Label.SSN, f"ssn {ssn} ok") == [ssn]
    assert redact(f"ssn {ssn}. ok", 500) == "ssn [ssn]. ok"


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "999-12-3456",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120-",
        "078-05-1120/",
        "078-05-1120.5",
        "1.078-05-1120",
        "a078-05-1120",
        "078-05-11201",
        "078-05-1120x",
        "12-078-05-1120",  # continues a number written before it
        "3/078-05-1120",
    ],
)
def test_no_ssn(text: str) -> None:
    assert _only(Label.SSN, f"ssn {text} ok") == []


# --- phone numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 123 456 789 now", "call [phone] now"),
        ("x 415.555.0100 y", "x [phone] y"),
        ("call 0044 20 7946 0958 now", "call [phone] now"),
        ("call 98765 43210 now", "call [phone] now"),
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("call +1 (415) 555-0100 now", "call [phone] now"),
        ("call 415\u2013555\u20130100 now", "call [phone] now"),  # en dashes
        ("call +4915112345678 now", "call [phone] now"),
        ("call +49 1234 5678 now", "call [phone] now"),  # eight digits with a country code
        ("call 12 3456 7890 12345 now", "call [phone] now"),  # fifteen digits
        ("_415 555 0100_", "_[phone]_"),
        ("(415) 555 0100", "[phone]"),
    ],
)
def test_phones(text: str, expected: str) -> None:
    assert redact(text, 500) == expected


@pytest.mark.parametrize(
    "text",
    [
        "call 415555010 now",  # no separator and no "+": an id
        "call 415 555 01 now",  # eight digits
        "call +1 415 555 0100 1 now",  # sixteen digits
        "call 12 3456 7890 123456 now",
        "x 1 2 3 4 5 6 7 8 9 y",
        "x 12 34 56 78 90 12 y",
        "x 1 23 45 67 89 12 y",  # a list of short numbers
        "2019 2020 2021 2022",
        "1999 2000 2001 2002",
        "x 1.2.3.4.5.6.7 y",
        "x 41.55.50.10.0 y",
        "x 41.55.50.1.00 y",
        "x 2020-01-15 y",
        "x 15/01/2020 y",
        "x 15.01.2020 10:30 y",
        "x 2020/1/5 10:30:00 y",
        "call +999 1234 5678 now",  # no such country code
        "v1.415 555 0100",
        "a415 555 0100",
        "415 555 0100a",
        "2,415 555 0100",
    ],
)
def test_not_phones(text: str) -> None:
    assert _only(Label.PHONE, text) == []


def test_versions_and_phones_with_dots() -> None:
    assert _only(Label.PHONE, "x 4155.5501.00 y") == ["4155.5501.00"]
    assert _only(Label.PHONE, "x 41.555.0100.22 y") == ["41.555.0100.22"]
    assert _only(Label.PHONE, "x 41.555.0100.22.33 y") == []  # five groups: a version


def test_past_the_library_budget_a_well_shaped_number_is_a_phone() -> None:
    # libphonenumber is asked about the first 64 candidates only; the rest, if well shaped, are
    # taken as phone numbers (over-redact rather than stall)
    known = ", ".join(["+1 415 555 0100"] * 64)
    assert redact(f"{known}, +999 1234 5678", 5_000).endswith(", [phone]")
    fewer = ", ".join(["+1 415 555 0100"] * 63)
    assert redact(f"{fewer}, +999 1234 5678", 5_000).endswith(", +999 1234 5678")
