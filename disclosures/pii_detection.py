"""
Finding phone numbers and IP addresses in free text, however they are spelled.

The purpose typed before an unmasking goes into the audit trail, which must never hold
personal data in clear. A substring search misses "06 12 34 56 78" for +33612345678,
"010.001.002.003" for 10.1.2.3, a zero-width space inside a number or full-width digits,
so the text is first normalised and then read the way the values themselves are read:
`ipaddress` for addresses, `phonenumbers` for numbers, and a plain run-of-digits rule for
what neither recognises.

What is recognised (after normalisation):

- IPv4 as four dotted parts, each decimal with any number of leading zeros or hexadecimal
  (0x..), with up to three spaces around each dot ("192 . 168 . 1 . 1"), and defanged dots
  ("192[.]168[.]1[.]1", "(.)", "{.}", "[dot]", " dot "); a whole address written as one
  hexadecimal word (0xC0A80101). A decimal word (3232235777) is a run of digits.
- IPv6 compressed or expanded, with extra leading zeros in a group, an embedded IPv4
  address, a zone, brackets, spaces around the colons or defanged colons ("[:]").
- Phone numbers that `phonenumbers` finds as valid numbers, international (+33, 0033) or
  national in PHONE_REGIONS, with any of its separators.
- Any run of MIN_DIGITS_RUN or more digits in which single spaces, dots, dashes,
  parentheses or slashes separate the groups (a lone slash, as in "2023/1543", splits the
  run in two). Dates (2026-10-05, 05.10.2026, 05/10/2026) and request references
  (LR-2026-00014) are not numbers.

Normalisation: NFKC (full-width, superscript, circled and mathematical digits become
ASCII), every other decimal digit (Arabic-Indic, Devanagari...) folded to ASCII, format
characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens, direction
marks) and combining marks removed, every space and dash variant made plain.

Not recognised: letters standing for digits (O for 0, l for 1), numbers spelled out in
words, and a number split by other words.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

from phonenumbers import Leniency, PhoneNumberMatcher

type PiiKind = Literal["phone", "ip"]

# None: numbers written with their country code (+33..., 0033 needs a region's prefix).
PHONE_REGIONS: tuple[str | None, ...] = (None, "FR", "DE", "GB", "US")
MIN_DIGITS_RUN = 7

_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"),
        **dict.fromkeys("\u00b7\u2022\u2219\u22c5\u3002\u30fb", "."),
        "\ua789": ":",
    }
)
_DEFANGED_DOT = re.compile(
    r"(?<=[0-9a-f])\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\bdot\b)\s*(?=[0-9a-f])",
    re.IGNORECASE,
)
_DEFANGED_COLON = re.compile(r"(?<=[0-9a-f:])\s*(?:\[:\]|\(:\)|\{:\})\s*(?=[0-9a-f:])", re.I)

_PART = r"(?:0x[0-9a-f]+|\d+)"
_DOT = r"\s{0,3}\.\s{0,3}"
_IPV4 = re.compile(
    rf"(?<![\d.])({_PART}){_DOT}({_PART}){_DOT}({_PART}){_DOT}({_PART})(?![\d]|\.\d)",
    re.IGNORECASE,
)
_IPV4_HEX_WORD = re.compile(r"(?<![0-9a-z])0x[0-9a-f]{8}(?![0-9a-z])", re.IGNORECASE)
_IPV6_RUN = re.compile(r"[0-9a-f:.]+(?:%[0-9a-z]+)?", re.IGNORECASE)
_SPACED_COLON = re.compile(r"(?<=[0-9a-fA-F:])\s+:|:\s+(?=[0-9a-fA-F:])")
_EXTRA_ZEROS = re.compile(r"(?<![0-9a-f])0+(?=[0-9a-f]{1,4}(?![0-9a-f]))", re.IGNORECASE)

# Runs of digits with one to three separators between the groups.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-()/]{1,3}\d|\d)*")
# Dates and request references: digits that are not numbers. They must stand alone (no
# digit group glued before or after), so a date cannot hide the start of a phone number.
_ALONE_BEFORE = r"(?<!\d)(?<!\d[\s.\-/])"
_ALONE_AFTER = r"(?![\s.\-/]?\d)"
_NOT_NUMBERS = re.compile(
    _ALONE_BEFORE
    + r"(?:"
    + r"(?P<iso>(?P<iy>\d{4})[-./](?P<im>\d{1,2})[-./](?P<id>\d{1,2}))"
    + r"|(?P<dmy>(?P<dd>\d{1,2})[-./](?P<dm>\d{1,2})[-./](?P<dy>\d{4}))"
    + r"|(?P<reference>(?<![A-Za-z])[A-Za-z]{2,10}-\d{4}-\d{1,8})"
    + r")"
    + _ALONE_AFTER
)


def normalise(text: str) -> str:
    """The text as a reader sees it: invisible characters gone, digits and separators plain."""
    text = unicodedata.normalize("NFKC", text)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in {"Cf", "Mn", "Me"} or (category == "Cc" and not char.isspace()):
            continue
        if category == "Nd":
            kept.append(str(unicodedata.decimal(char)))
        elif category.startswith("Z") or char.isspace():
            kept.append(" ")
        else:
            kept.append(char)
    text = "".join(kept).translate(_FOLD)
    text = _DEFANGED_DOT.sub(".", text)
    return _DEFANGED_COLON.sub(":", text)


def _is_date(match: re.Match[str]) -> bool:
    if match["iso"]:
        year, month, day = match["iy"], match["im"], match["id"]
    else:
        year, month, day = match["dy"], match["dm"], match["dd"]
    return 1900 <= int(year) <= 2199 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def _without_dates_and_references(text: str) -> str:
    def blank(match: re.Match[str]) -> str:
        if match["reference"] or _is_date(match):
            return " # "
        return match[0]

    return _NOT_NUMBERS.sub(blank, text)


def _ipv4_found(text: str) -> bool:
    if _IPV4_HEX_WORD.search(text):
        return True
    for match in _IPV4.finditer(text):
        octets = [
            int(part, 16) if part.lower().startswith("0x") else int(part) for part in match.groups()
        ]
        if all(octet <= 255 for octet in octets):
            try:
                ipaddress.IPv4Address(".".join(map(str, octets)))
            except ValueError:
                continue
            return True
    return False


def _ipv6_candidates(run: str) -> Iterator[str]:
    run = run.strip(".")
    yield run
    trimmed = run[1:] if run.startswith(":") and not run.startswith("::") else run
    trimmed = trimmed[:-1] if trimmed.endswith(":") and not trimmed.endswith("::") else trimmed
    yield trimmed
    yield _EXTRA_ZEROS.sub("", trimmed)


def _ipv6_found(text: str) -> bool:
    for match in _IPV6_RUN.finditer(_SPACED_COLON.sub(":", text)):
        run = match[0]
        groups = [g for g in run.split("%")[0].split(":") if g]
        # "::" or "a::d" are not addresses anyone would be told apart by.
        if run.count(":") < 2 or len(groups) < 2 or not any(c.isdigit() for c in run):
            continue
        for candidate in _ipv6_candidates(run):
            try:
                ipaddress.IPv6Address(candidate.strip("[]"))
            except ValueError:
                continue
            return True
    return False


def _phone_found(text: str) -> bool:
    for region in PHONE_REGIONS:
        if PhoneNumberMatcher(text, region, leniency=Leniency.VALID).has_next():
            return True
    return False


def _digit_run_found(text: str) -> bool:
    for match in _DIGIT_RUN.finditer(text):
        run = match[0]
        parts = run.split("/") if run.count("/") == 1 else [run]  # "2023/1543": a citation
        if any(sum(c.isdigit() for c in part) >= MIN_DIGITS_RUN for part in parts):
            return True
    return False


def pii_found(text: str) -> PiiKind | None:
    """What kind of personal data the text holds, if any ("ip" is checked first)."""
    plain = normalise(text)
    if _ipv4_found(plain) or _ipv6_found(plain):
        return "ip"
    numbers = _without_dates_and_references(plain)
    if _phone_found(numbers) or _digit_run_found(numbers):
        return "phone"
    return None
