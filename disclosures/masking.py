"""How phone numbers and IP addresses look until someone unmasks them (for a stated purpose)."""

from __future__ import annotations

import ipaddress

import phonenumbers


def mask_phone(e164: str) -> str:
    """+33612345678 -> '+33 6•• •• •• 78': country code, first digit and the last two."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "•••"
    national = str(number.national_number)
    if len(national) < 4:
        return f"+{number.country_code} ••"
    hidden = "•" * (len(national) - 3)
    masked = national[0] + hidden + national[-2:]
    if len(masked) <= 6:
        return f"+{number.country_code} {masked}"
    # Three pairs at the end, the rest in front: +33 6•• •• •• 78, +1 4••• •• •• 23.
    head, tail = masked[:-6], masked[-6:]
    return f"+{number.country_code} {head} {tail[0:2]} {tail[2:4]} {tail[4:6]}"


def mask_ip(value: str) -> str:
    """203.0.113.7 -> '203.0.113.•'; IPv6 keeps its /48 prefix."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "•••"
    if address.version == 4:
        return ".".join([*str(address).split(".")[:3], "•"])
    groups = address.exploded.split(":")
    return ":".join(groups[:3] + ["•"] * 5)
