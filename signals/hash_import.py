"""
Reading a hash list for import: pytx's CSV (`threatexchange dataset --csv`) or HMA's
`local_file` lines. Pure parsing, no database: every bad line is reported at once
(ImportRejected), so a file is imported whole or not at all.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

from django.utils.translation import gettext as _

from signals.exceptions import ImportRejected
from signals.models import BankedHash

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_LINES = 100_000
CSV_HEADER = ("signal_type", "signal_str", "collab", "category", "tags")
# pytx names MD5 and SHA-256 after videos (`video_md5`); the bank holds them for any media.
SIGNAL_TYPE_NAMES = {
    "pdq": BankedHash.SignalType.PDQ,
    "md5": BankedHash.SignalType.MD5,
    "video_md5": BankedHash.SignalType.MD5,
    "sha256": BankedHash.SignalType.SHA256,
    "video_sha256": BankedHash.SignalType.SHA256,
}
_HEX = {
    BankedHash.SignalType.PDQ: re.compile(r"^[0-9a-f]{64}$"),
    BankedHash.SignalType.MD5: re.compile(r"^[0-9a-f]{32}$"),
    BankedHash.SignalType.SHA256: re.compile(r"^[0-9a-f]{64}$"),
}
_HEX_LENGTH = {"pdq": 64, "md5": 32, "sha256": 64}
_TAG_SPLIT = re.compile(r"[\s,]+")
MAX_LABEL = 120
MAX_TAGS = 20
MAX_TAG = 64


@dataclasses.dataclass(frozen=True)
class ParsedHash:
    line: int
    signal_type: str
    value: str
    label: str = ""
    tags: tuple[str, ...] = ()


def _parse_hash(
    line: int, raw_type: str, raw_value: str, errors: list[tuple[int, str]]
) -> tuple[str, str] | None:
    name = raw_type.strip().lower()
    signal_type = SIGNAL_TYPE_NAMES.get(name)
    if signal_type is None:
        shown = name[:40] or _("(empty)")
        errors.append(
            (line, _("unknown signal type “%(type)s” (use pdq, md5 or sha256).") % {"type": shown})
        )
        return None
    value = raw_value.strip().lower()
    if not _HEX[signal_type].match(value):
        errors.append(
            (
                line,
                _("a %(type)s hash is %(length)d hexadecimal characters.")
                % {"type": signal_type, "length": _HEX_LENGTH[signal_type]},
            )
        )
        return None
    if signal_type == BankedHash.SignalType.PDQ and value == "0" * 64:
        # An all-zero PDQ is what a blank or corrupt image gives: it would match noise.
        errors.append((line, _("an all-zero PDQ hash is not a real image's hash.")))
        return None
    return str(signal_type), value


def _split_tags(raw: str) -> tuple[str, ...]:
    tags = [t for t in _TAG_SPLIT.split(raw.strip()) if t]
    return tuple(dict.fromkeys(tags))


def _parse_csv(text: str, errors: list[tuple[int, str]]) -> list[ParsedHash]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    parsed: list[ParsedHash] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                missing = [c for c in CSV_HEADER[:2] if c not in header]
                if missing:
                    errors.append(
                        (
                            line,
                            _("the header must name the columns %(columns)s.")
                            % {"columns": ",".join(CSV_HEADER)},
                        )
                    )
                    return []
                continue
            cells = dict(zip(header, row, strict=False))
            if len(row) > len(header):
                errors.append((line, _("more cells than the header has columns.")))
                continue
            found = _parse_hash(
                line, cells.get("signal_type", ""), cells.get("signal_str", ""), errors
            )
            label = cells.get("category", "").strip()
            tags = _split_tags(cells.get("tags", ""))
            if len(label) > MAX_LABEL:
                errors.append(
                    (line, _("the category is longer than %(n)d characters.") % {"n": MAX_LABEL})
                )
                continue
            if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
                errors.append(
                    (
                        line,
                        _("at most %(n)d tags of %(m)d characters each.")
                        % {"n": MAX_TAGS, "m": MAX_TAG},
                    )
                )
                continue
            if found is not None:
                parsed.append(ParsedHash(line, found[0], found[1], label, tags))
    except csv.Error as exc:
        errors.append((reader.line_num, _("this is not valid CSV (%(error)s).") % {"error": exc}))
    return parsed


def _parse_lines(text: str, errors: list[tuple[int, str]]) -> list[ParsedHash]:
    """HMA's `local_file` form: `<signal_type> <value>`, one a line; `#` starts a comment."""
    parsed: list[ParsedHash] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        content = raw.strip()
        if not content or content.startswith("#"):
            continue
        parts = content.split()
        if len(parts) != 2:
            errors.append((line, _("write the signal type and the hash, separated by a space.")))
            continue
        found = _parse_hash(line, parts[0], parts[1], errors)
        if found is not None:
            parsed.append(ParsedHash(line, found[0], found[1]))
    return parsed


def hashes_parse(text: str) -> list[ParsedHash]:
    """
    Every hash in the text, or ImportRejected with every bad line. The text is a CSV file
    whose first line is a header naming at least `signal_type,signal_str` (pytx's
    `threatexchange dataset --csv` writes `signal_type,signal_str,collab,category,tags`), or,
    when the first line has no comma, HMA's `local_file` form `<signal_type> <value>`.
    """
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        raise ImportRejected(
            [
                (
                    0,
                    _("The file is larger than %(mb)d MB: split it.")
                    % {"mb": MAX_IMPORT_BYTES // 2**20},
                )
            ]
        )
    lines = text.splitlines()
    if len(lines) > MAX_IMPORT_LINES:
        raise ImportRejected(
            [(0, _("The file has more than %(n)d lines: split it.") % {"n": MAX_IMPORT_LINES})]
        )
    first = next((raw for raw in lines if raw.strip() and not raw.lstrip().startswith("#")), None)
    if first is None:
        raise ImportRejected([(0, _("There is no hash to import."))])
    errors: list[tuple[int, str]] = []
    parsed = _parse_csv(text, errors) if "," in first else _parse_lines(text, errors)
    if not errors and not parsed:
        errors.append((0, _("There is no hash to import.")))
    if errors:
        raise ImportRejected(sorted(errors))
    return parsed
