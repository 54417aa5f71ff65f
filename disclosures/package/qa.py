"""The automatic QA: a package checked against its scope, file by file, before release."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from disclosures import crypto
from disclosures.package.build import (
    CSV_HEADER,
    DATA_CSV,
    DATA_FILES,
    DATA_JSON,
    IP,
    IP_FIELDS,
    MANIFEST,
    PHONE,
    PHONE_FIELDS,
    SIGNATURE,
    ScopeSpec,
    canonical_bytes,
    csv_rows,
    data_counts,
    parse_utc,
    sha256_hex,
    utc_iso,
    verify_manifest,
)


@dataclass
class QaReport:
    problems: list[dict[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def fail(self, code: str, detail: str) -> None:
        self.problems.append({"code": code, "detail": detail})

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self, *, checked_at: datetime) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checked_at": utc_iso(checked_at),
            "checks": self.checks,
            "problems": self.problems,
            "counts": self.counts,
        }


def package_qa(
    *,
    files: dict[str, bytes],
    scope_json: str,
    scope_hash: str,
    source_data: dict[str, list[dict[str, Any]]] | None = None,
) -> QaReport:
    """
    Check a package against its scope. Problems are described without the data values
    (the report is stored and shown): by account id, category, file name, and row number.

    `source_data` is a fresh extraction of the scope; counts and rows must match it.
    """
    report = QaReport()
    scope = ScopeSpec.parse(scope_json)
    manifest = _qa_manifest(report, files, scope_hash)
    if manifest is not None:
        _qa_hashes(report, files, manifest)
    document = _qa_document(report, files, scope, scope_hash)
    if document is None:
        return report
    data = {k: document[k] for k in ("phone_numbers", "ip_records") if k in document}
    _qa_rows(report, data, scope)
    _qa_csv(report, files, data)
    report.counts = data_counts(data)
    report.checks.append("not_empty")
    if not report.counts["phone_numbers"] and not report.counts["ip_records"]:
        # An empty package is never a release: "no records found" is its own outcome.
        report.fail("empty_package", _("the package holds no record"))
    if manifest is not None and manifest.get("counts") != report.counts:
        report.fail("manifest_counts", _("the manifest's counts differ from the data"))
    if source_data is not None:
        report.checks.append("source")
        expected = data_counts(source_data)
        if expected != report.counts:
            report.fail(
                "source_counts",
                _("package counts %(package)s differ from the source's %(source)s")
                % {"package": report.counts, "source": expected},
            )
        elif _row_keys(source_data) != _row_keys(data):
            report.fail("source_rows", _("the package's rows differ from the source"))
    return report


def _qa_manifest(report: QaReport, files: dict[str, bytes], scope_hash: str) -> dict | None:
    report.checks.append("signature")
    if MANIFEST not in files or SIGNATURE not in files:
        report.fail("manifest_missing", _("manifest.json or manifest.sig is missing"))
        return None
    if not verify_manifest(files):
        report.fail("signature", _("the manifest's signature does not verify"))
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError:
        report.fail("manifest_invalid", _("manifest.json is not JSON"))
        return None
    if manifest.get("public_key") != crypto.public_key_b64():
        report.fail("public_key", _("the manifest names another public key"))
    if manifest.get("scope_hash") != scope_hash:
        report.fail("manifest_scope", _("the manifest is for another scope"))
    return manifest


def _qa_hashes(report: QaReport, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    report.checks.append("file_hashes")
    listed = {f.get("name"): f.get("sha256") for f in manifest.get("files", [])}
    present = set(files) - {MANIFEST, SIGNATURE}
    for name in sorted(present - set(listed)):
        report.fail("file_unlisted", _("%(name)s is not in the manifest") % {"name": name})
    for name, digest in sorted(listed.items()):
        if name not in files:
            report.fail("file_missing", _("%(name)s is missing") % {"name": name})
        elif sha256_hex(files[name]) != digest:
            report.fail(
                "file_hash",
                _("%(name)s does not match its SHA-256 in the manifest") % {"name": name},
            )
    for name in DATA_FILES:
        if name not in listed:
            report.fail("file_missing", _("%(name)s is not in the manifest") % {"name": name})


def _qa_document(
    report: QaReport, files: dict[str, bytes], scope: ScopeSpec, scope_hash: str
) -> dict | None:
    report.checks.append("categories")
    try:
        document = json.loads(files[DATA_JSON])
    except (KeyError, ValueError):
        report.fail("data_missing", _("data.json is missing or not JSON"))
        return None
    if document.get("scope_hash") != scope_hash:
        report.fail("data_scope", _("data.json is for another scope"))
    allowed_keys = {"request", "scope_hash", "accounts", "categories", "date_from", "date_to"}
    key_of = {PHONE: "phone_numbers", IP: "ip_records"}
    for category, key in key_of.items():
        if category in scope.categories:
            allowed_keys.add(key)
            if key not in document:
                report.fail(
                    "category_missing",
                    _("%(category)s is approved but absent") % {"category": category},
                )
        elif key in document:
            report.fail(
                "category", _("%(category)s is not in the approved scope") % {"category": category}
            )
    for key in sorted(set(document) - allowed_keys - set(key_of.values())):
        report.fail("extra_field", _("data.json has an unexpected field %(key)r") % {"key": key})
    if sorted(document.get("categories", [])) != list(scope.categories):
        report.fail("category", _("data.json lists other categories than the scope"))
    if sorted(document.get("accounts", [])) != list(scope.accounts):
        report.fail("account", _("data.json lists other accounts than the scope"))
    return document


def _qa_rows(report: QaReport, data: dict[str, Any], scope: ScopeSpec) -> None:
    report.checks += ["accounts", "date_range", "fields"]
    accounts = set(scope.accounts)
    for key, allowed in (("phone_numbers", PHONE_FIELDS), ("ip_records", IP_FIELDS)):
        for n, row in enumerate(data.get(key, []), start=1):
            if not isinstance(row, dict):
                report.fail(
                    "row_invalid", _("%(key)s row %(n)d is not an object") % {"key": key, "n": n}
                )
                continue
            if set(row) - allowed:
                report.fail(
                    "extra_field",
                    _("%(key)s row %(n)d has unexpected fields %(fields)s")
                    % {"key": key, "n": n, "fields": ", ".join(sorted(set(row) - allowed))},
                )
            elif set(row) != allowed:
                report.fail(
                    "missing_field", _("%(key)s row %(n)d lacks fields") % {"key": key, "n": n}
                )
            if row.get("account") not in accounts:
                report.fail(
                    "account",
                    _("%(key)s row %(n)d is about an account outside the scope")
                    % {"key": key, "n": n},
                )
            if key == "ip_records":
                try:
                    seen = parse_utc(str(row.get("seen_at")))
                except ValueError:
                    report.fail(
                        "timestamp",
                        _("%(key)s row %(n)d has no valid UTC timestamp") % {"key": key, "n": n},
                    )
                    continue
                if not scope.in_range(seen):
                    report.fail(
                        "date_range",
                        _("%(key)s row %(n)d is outside the approved range") % {"key": key, "n": n},
                    )


def _qa_csv(report: QaReport, files: dict[str, bytes], data: dict[str, Any]) -> None:
    report.checks.append("csv")
    try:
        rows = list(csv.reader(io.StringIO(files[DATA_CSV].decode())))
    except (KeyError, UnicodeDecodeError, csv.Error):
        report.fail("csv_missing", _("data.csv is missing or unreadable"))
        return
    if not rows or rows[0] != CSV_HEADER:
        report.fail("csv_header", _("data.csv has another header"))
        return
    try:
        expected = csv_rows(data)
    except (KeyError, TypeError, AttributeError):
        report.fail("csv_rows", _("data.json rows cannot be laid out as CSV"))
        return
    if rows[1:] != expected:
        report.fail("csv_rows", _("data.csv does not hold the same rows as data.json"))


def _row_keys(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    return {key: sorted(canonical_bytes(r).decode() for r in rows) for key, rows in data.items()}
