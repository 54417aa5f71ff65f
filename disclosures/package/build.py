"""Extraction of exactly the approved scope, and the package files built from it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.template.loader import render_to_string

from disclosures import crypto
from disclosures.subscriber import subscriber_source

IP = "ip_addresses"
PHONE = "phone_number"
CATEGORIES = (IP, PHONE)

DATA_JSON = "data.json"
DATA_CSV = "data.csv"
COVER_LETTER = "cover_letter.html"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DATA_FILES = (DATA_JSON, DATA_CSV, COVER_LETTER)
CSV_HEADER = ["account_id", "category", "value", "port", "seen_at_utc"]
PHONE_FIELDS = frozenset({"account", "phone"})
IP_FIELDS = frozenset({"account", "ip", "port", "seen_at"})
MANIFEST_VERSION = 1


def canonical_bytes(value: Any) -> bytes:
    """One exact encoding of a JSON value (sorted keys, no spaces), for hashing and signing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class ScopeSpec:
    """The parts of a frozen scope that decide what may be extracted."""

    accounts: tuple[str, ...]
    categories: tuple[str, ...]
    date_from: datetime
    date_to: datetime
    raw: dict[str, Any] = field(compare=False)

    @classmethod
    def parse(cls, scope_json: str | dict[str, Any]) -> ScopeSpec:
        raw = json.loads(scope_json) if isinstance(scope_json, str) else dict(scope_json)
        categories = tuple(sorted(set(raw["categories"])))
        unknown = set(categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown data categories in scope: {sorted(unknown)}")
        return cls(
            accounts=tuple(sorted({str(a) for a in raw["accounts"]})),
            categories=categories,
            date_from=parse_utc(raw["date_from"]),
            date_to=parse_utc(raw["date_to"]),
            raw=raw,
        )

    def in_range(self, moment: datetime) -> bool:
        return self.date_from <= moment < self.date_to


def extract(
    scope_json: str | dict[str, Any], *, provenance: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """
    Read exactly the approved scope through the subscriber adapter: those accounts, those
    categories, IP records with date_from <= seen_at < date_to, nothing else.

    A category outside the scope is not even asked for. What the adapter returns is filtered
    again against the scope, so a faulty or third-party source cannot widen a release.
    With `provenance`, each row also carries the source's record id under "record" (for
    pinning the data at scope freeze; never in a package).
    """
    scope = ScopeSpec.parse(scope_json)
    source = subscriber_source()
    accounts = list(scope.accounts)
    wanted = set(accounts)
    data: dict[str, list[dict[str, Any]]] = {}
    if PHONE in scope.categories:
        data["phone_numbers"] = _phone_rows(source, accounts, provenance=provenance)
    if IP in scope.categories:
        records = (
            source.ip_records(account_ids=accounts, start=scope.date_from, end=scope.date_to)
            if accounts
            else []
        )
        rows = []
        for r in records:
            if r.account_id not in wanted or not scope.in_range(r.seen_at):
                continue
            row = {
                "account": r.account_id,
                "ip": r.ip,
                "port": r.port,
                "seen_at": utc_iso(r.seen_at),
            }
            if provenance:
                row["record"] = getattr(r, "record_id", "") or ""
            rows.append(row)
        rows.sort(key=lambda r: (r["seen_at"], r["account"], r["ip"], r["port"] or 0))
        data["ip_records"] = rows
    return data


def _phone_rows(source: Any, accounts: list[str], *, provenance: bool) -> list[dict[str, Any]]:
    if not accounts:
        return []
    wanted = set(accounts)
    if provenance and hasattr(source, "phone_records"):
        found = {
            r.account_id: r
            for r in source.phone_records(account_ids=accounts)
            if r.account_id in wanted and r.phone
        }
        return [
            {"account": a, "phone": found[a].phone, "record": found[a].record_id or ""}
            for a in accounts
            if a in found
        ]
    phones = source.phone_numbers(account_ids=accounts)
    rows = [{"account": a, "phone": phones[a]} for a in accounts if phones.get(a)]
    if provenance:
        for row in rows:
            row["record"] = ""
    return rows


def released_accounts(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Accounts of which at least one value is in the package: the users affected."""
    found = {row["account"] for rows in data.values() for row in rows}
    return sorted(found)


def data_counts(data: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {
        "accounts": len(released_accounts(data)),
        "phone_numbers": len(data.get("phone_numbers", [])),
        "ip_records": len(data.get("ip_records", [])),
    }


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = @ + - as a formula. E.164 numbers
    # (+ and digits) are left as they are; anything else that looks like a formula is
    # quoted with a leading apostrophe.
    if not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not value[1:].isdigit()):
        return "'" + value
    return value


def csv_rows(data: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """One row per phone number and per IP record."""
    rows = [
        [_csv_cell(p["account"]), PHONE, _csv_cell(p["phone"]), "", ""]
        for p in data.get("phone_numbers", [])
    ]
    rows += [
        [
            _csv_cell(r["account"]),
            IP,
            _csv_cell(r["ip"]),
            "" if r["port"] is None else str(r["port"]),
            r["seen_at"],
        ]
        for r in data.get("ip_records", [])
    ]
    return rows


def render_csv(data: dict[str, list[dict[str, Any]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(data))
    return out.getvalue().encode()


@dataclass(frozen=True)
class PackageContext:
    """What the package says about the request (cover letter and manifest)."""

    reference: str
    request_uuid: str
    authority: str
    authority_country: str
    instrument: str
    issuing_file_number: str
    validating_file_number: str
    legal_basis: str
    received_at: datetime


@dataclass(frozen=True)
class BuiltPackage:
    files: dict[str, bytes]  # every file of the zip, manifest and signature included
    manifest: dict[str, Any]
    manifest_sha256: str
    signature: str
    data: dict[str, list[dict[str, Any]]]

    def zip_bytes(self) -> bytes:
        return zip_files(self.files)


def build(
    *,
    scope_json: str,
    scope_hash: str,
    context: PackageContext,
    created_at: datetime,
    data: dict[str, list[dict[str, Any]]] | None = None,
) -> BuiltPackage:
    """
    Lay out the package's files, with a signed manifest, from `data` (rows as extracted,
    provenance dropped) or, without it, from a fresh extraction of the scope.
    """
    scope = ScopeSpec.parse(scope_json)
    if data is None:
        data = extract(scope_json)
    else:
        data = {
            key: [{k: v for k, v in row.items() if k != "record"} for row in rows]
            for key, rows in data.items()
        }
    counts = data_counts(data)
    document = {
        "request": context.reference,
        "scope_hash": scope_hash,
        "accounts": list(scope.accounts),
        "categories": list(scope.categories),
        "date_from": utc_iso(scope.date_from),
        "date_to": utc_iso(scope.date_to),
        **data,
    }
    public_key = crypto.public_key_b64()
    cover = render_to_string(
        "disclosures/release/cover_letter.html",
        {
            "ctx": context,
            "scope": scope,
            "scope_hash": scope_hash,
            "counts": counts,
            "public_key": public_key,
            "created_at": created_at,
            "categories": list(scope.categories),
        },
    ).encode()
    files = {
        DATA_JSON: json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode(),
        DATA_CSV: render_csv(data),
        COVER_LETTER: cover,
    }
    manifest = {
        "version": MANIFEST_VERSION,
        "request_reference": context.reference,
        "request_uuid": context.request_uuid,
        "scope_hash": scope_hash,
        "created_at": utc_iso(created_at),
        "algorithm": "Ed25519",
        "public_key": public_key,
        "files": [{"name": name, "sha256": sha256_hex(files[name])} for name in DATA_FILES],
        "counts": counts,
        "released_accounts": released_accounts(data),
    }
    manifest_bytes = canonical_bytes(manifest)
    signature = crypto.sign(manifest_bytes)
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = signature.encode()
    return BuiltPackage(
        files=files,
        manifest=manifest,
        manifest_sha256=sha256_hex(manifest_bytes),
        signature=signature,
        data=data,
    )


def zip_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def unzip_files(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def verify_manifest(files: dict[str, bytes]) -> bool:
    """The manifest's signature is valid, under the key the manifest names."""
    try:
        manifest = json.loads(files[MANIFEST])
        signature = files[SIGNATURE].decode()
    except (KeyError, ValueError):
        return False
    return crypto.verify(files[MANIFEST], signature, manifest.get("public_key") or None)


# --- QA -------------------------------------------------------------------------------------
