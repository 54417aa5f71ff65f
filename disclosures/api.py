"""POST /api/v1/subscriber-data: the platform feeds phone numbers and IP records, in batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError, read_json
from api_core.schemas import ERRORS, StrictIn, body_inline
from disclosures.services.subscriber_data import (
    ACCOUNT_ID_MAX_LENGTH,
    RowError,
    SubscriberDataInvalid,
    SubscriberRow,
    subscriber_data_ingest,
    subscriber_rows_check,
)

router = Router(tags=["subscriber data"])

MAX_RECORDS = 5000
_SHAPE = f'Send {{"records": [...]}} with 1 to {MAX_RECORDS} records.'


# The two models describe the body in the OpenAPI document. The endpoint checks the records
# with subscriber_rows_check, as CSV imports are checked, so one answer lists every problem.


class SubscriberRecordIn(StrictIn):
    """One account's phone number and/or one IP record."""

    account_id: str = Field(
        max_length=ACCOUNT_ID_MAX_LENGTH,
        description="The platform's account id; unknown accounts are created.",
    )
    phone: str | None = Field(
        None,
        description="International format; stored as E.164, replaces the account's number.",
        examples=["+33 6 12 34 56 78"],
    )
    ip: str | None = Field(None, description="IPv4 or IPv6 address.", examples=["203.0.113.7"])
    port: int | None = Field(None, ge=0, le=65535)
    seen_at: datetime | None = Field(
        None,
        description="When the address was seen, ISO 8601 with a time zone.",
        examples=["2026-10-05T12:00:00Z"],
    )


class SubscriberDataIn(StrictIn):
    """The records to import, all or nothing."""

    records: list[SubscriberRecordIn] = Field(min_length=1, max_length=MAX_RECORDS)


FIELDS = frozenset(SubscriberRecordIn.model_fields)


class RecordErrorOut(Schema):
    index: int | None = Field(None, description="Position of the record in `records`, from 0.")
    field: str = Field(description="The record's field; empty for the whole record.")
    message: str


class RecordsInvalidOut(Schema):
    detail: str
    errors: list[RecordErrorOut]


class ImportedOut(Schema):
    rows: int
    accounts_created: int
    phones_created: int
    phones_updated: int
    phones_unchanged: int
    ip_records_created: int
    ip_records_duplicate: int


def _record_errors(index: int, raw: Any) -> list[RowError]:
    """What the API itself refuses: a record that is not an object, or has unknown keys."""
    if not isinstance(raw, dict):
        return [RowError(index, "", "A record must be a JSON object.")]
    return [RowError(index, key, "Unknown field.") for key in sorted(set(raw) - FIELDS)]


def _as_json(errors: list[RowError]) -> list[dict[str, Any]]:
    ordered = sorted(errors, key=lambda e: (e.number, e.field))
    return [{"index": e.number, "field": e.field, "message": e.message} for e in ordered]


def _invalid(errors: list[RowError]) -> ApiError:
    return ApiError(
        422,
        f"{len({e.number for e in errors})} record(s) are not valid; nothing was stored.",
        _as_json(errors),
    )


@router.post(
    "",
    auth=ApiTokenAuth(Scope.SUBSCRIBER_DATA),
    url_name="subscriber_data_import",
    summary="Import subscriber data (phone numbers and IP records)",
    description=(
        f'Scope `subscriber_data`. The body is `{{"records": [...]}}` with 1 to {MAX_RECORDS} '
        "records: `account_id` (the platform's id; unknown accounts are created), and "
        "`phone` (international format, stored as E.164; replaces the account's number), "
        "and/or an IP record: `ip` (v4 or v6), `seen_at` (ISO 8601 with a time zone) and "
        "optionally `port` (0-65535). Importing the same records again changes nothing.\n\n"
        "All or nothing: 200 with the counts, or 422 listing every problem as "
        '`{"index", "field", "message"}` and nothing stored.'
    ),
    response={200: ImportedOut, **ERRORS, 422: RecordsInvalidOut},
    openapi_extra=body_inline(SubscriberDataIn),
)
def subscriber_data_import(request: HttpRequest) -> Status[dict[str, Any]]:
    payload = read_json(request)
    if not isinstance(payload, dict):
        raise ApiError(422, _SHAPE, [{"field": "", "message": "Must be a JSON object."}])
    unknown = sorted(set(payload) - {"records"})
    if unknown:
        raise ApiError(
            422, _SHAPE, [{"field": key, "message": "Unknown field."} for key in unknown]
        )
    records = payload.get("records")
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        given = f"{len(records)} records" if isinstance(records, list) else "not a list"
        message = f"Must be a list of 1 to {MAX_RECORDS} records ({given})."
        raise ApiError(422, _SHAPE, [{"field": "records", "message": message}])

    errors: list[RowError] = []
    rows: list[SubscriberRow] = []
    for index, raw in enumerate(records):
        shape_errors = _record_errors(index, raw)
        if shape_errors:
            errors.extend(shape_errors)
            continue
        rows.append(
            SubscriberRow(
                account_id=raw.get("account_id"),
                phone=raw.get("phone"),
                ip=raw.get("ip"),
                port=raw.get("port"),
                seen_at=raw.get("seen_at"),
                number=index,
            )
        )
    if errors:
        # Report the other records' problems too, so one answer lists everything to fix.
        errors.extend(subscriber_rows_check(rows=rows)[1])
        raise _invalid(errors)
    token = request.auth  # type: ignore[attr-defined]
    try:
        summary = subscriber_data_ingest(rows=rows, source=f"api:{token.name}")
    except SubscriberDataInvalid as exc:
        raise _invalid(exc.errors) from None
    return Status(200, summary.as_dict())
