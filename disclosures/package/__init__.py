"""
The release package as bytes: extraction of exactly the approved scope, the files built from
it (data.json, data.csv, cover_letter.html, a signed manifest), and the automatic QA that
checks a package against its scope before anyone may release it.

Nothing here touches the database except through the subscriber adapter (extraction) and a
template render (the cover letter), so the QA can be fed any package, including a tampered
one, and must say what is wrong with it.
"""

from disclosures.package.build import (
    CATEGORIES,
    COVER_LETTER,
    CSV_HEADER,
    DATA_CSV,
    DATA_FILES,
    DATA_JSON,
    IP,
    IP_FIELDS,
    MANIFEST,
    MANIFEST_VERSION,
    PHONE,
    PHONE_FIELDS,
    SIGNATURE,
    BuiltPackage,
    PackageContext,
    ScopeSpec,
    build,
    canonical_bytes,
    csv_rows,
    data_counts,
    extract,
    parse_utc,
    released_accounts,
    render_csv,
    sha256_hex,
    unzip_files,
    utc_iso,
    verify_manifest,
    zip_files,
)
from disclosures.package.qa import (
    QaReport,
    package_qa,
)

__all__ = [
    "CATEGORIES",
    "COVER_LETTER",
    "CSV_HEADER",
    "DATA_CSV",
    "DATA_FILES",
    "DATA_JSON",
    "IP",
    "IP_FIELDS",
    "MANIFEST",
    "MANIFEST_VERSION",
    "PHONE",
    "PHONE_FIELDS",
    "SIGNATURE",
    "BuiltPackage",
    "PackageContext",
    "QaReport",
    "ScopeSpec",
    "build",
    "canonical_bytes",
    "csv_rows",
    "data_counts",
    "extract",
    "package_qa",
    "parse_utc",
    "released_accounts",
    "render_csv",
    "sha256_hex",
    "unzip_files",
    "utc_iso",
    "verify_manifest",
    "zip_files",
]
