"""POST /api/v1/reports: one report, or a batch of up to 500, from the platform."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import ValidationError

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError, field_errors, read_json
from api_core.schemas import ERRORS, body_of
from moderation.api.schemas import MAX_BATCH, BatchOut, ReportAcceptedOut, ReportBatchIn, ReportIn
from moderation.models import Category
from moderation.services.intake import IngestResult, reports_ingest

router = Router(tags=["reports"])

_SHAPE = 'Send one report object, or {"reports": [...]} with 1 to 500 reports.'


def _category_codes() -> frozenset[str]:
    return frozenset(Category.objects.order_by().values_list("code", flat=True))


def _validate(raw: Any, categories: frozenset[str]) -> tuple[ReportIn | None, list[dict]]:
    if not isinstance(raw, dict):
        return None, [{"field": "", "message": "A report must be a JSON object."}]
    try:
        return ReportIn.model_validate(raw, context={"categories": categories}), []
    except ValidationError as exc:
        return None, field_errors(exc)


def _outcome(result: IngestResult, external_id: str, announced: set[str]) -> dict[str, Any]:
    """One accepted report's answer; a report repeated within a batch is created only once."""
    created = external_id in result.created and external_id not in announced
    announced.add(external_id)
    return {
        "external_id": external_id,
        "status": "created" if created else "duplicate",
        "id": result.report_ids[external_id],
        "case_id": result.case_ids.get(external_id),
        "held": result.held.get(external_id) or None,
    }


def _refusal(result: IngestResult, external_id: str) -> list[dict[str, str]]:
    """The service's refusal of one report, as field errors."""
    field = result.rejected_fields.get(external_id, "")
    return [{"field": field, "message": result.rejected[external_id]}]


def _ingest(reports: list[ReportIn]) -> IngestResult:
    return reports_ingest(items=[r.to_input() for r in reports], channel="api")


def _single(raw: Any, categories: frozenset[str]) -> Status[dict[str, Any]]:
    report, errors = _validate(raw, categories)
    if report is None:
        raise ApiError(422, "The report is not valid; nothing was stored.", errors)
    result = _ingest([report])
    if report.external_id in result.rejected:
        raise ApiError(422, "The report was refused.", _refusal(result, report.external_id))
    outcome = _outcome(result, report.external_id, set())
    del outcome["external_id"]
    return Status(201 if outcome["status"] == "created" else 200, outcome)


def _batch(payload: dict[str, Any], categories: frozenset[str]) -> Status[dict[str, Any]]:
    unknown = sorted(set(payload) - {"reports"})
    if unknown:
        errors = [{"field": key, "message": "Unknown field."} for key in unknown]
        raise ApiError(422, _SHAPE, errors)
    items = payload["reports"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        given = f"{len(items)} reports" if isinstance(items, list) else "not a list"
        message = f"Must be a list of 1 to {MAX_BATCH} reports ({given})."
        raise ApiError(422, _SHAPE, [{"field": "reports", "message": message}])

    valid: list[tuple[int, ReportIn]] = []
    rejected: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        report, errors = _validate(raw, categories)
        if report is None:
            external_id = raw.get("external_id") if isinstance(raw, dict) else None
            rejected.append(
                {
                    "index": index,
                    "external_id": external_id if isinstance(external_id, str) else None,
                    "errors": errors,
                }
            )
        else:
            valid.append((index, report))

    results: list[dict[str, Any]] = []
    if valid:
        result = _ingest([r for _, r in valid])
        announced: set[str] = set()
        for index, report in valid:
            if report.external_id in result.rejected:
                rejected.append(
                    {
                        "index": index,
                        "external_id": report.external_id,
                        "errors": _refusal(result, report.external_id),
                    }
                )
                continue
            results.append(_outcome(result, report.external_id, announced))
    rejected.sort(key=lambda r: r["index"])
    return Status(200, {"results": results, "rejected": rejected})


@router.post(
    "",
    auth=ApiTokenAuth(Scope.REPORTS),
    url_name="reports_submit",
    summary="Submit one report or a batch of reports",
    description=(
        'Scope `reports`. The body is one report, or `{"reports": [...]}` with 1 to 500 '
        "reports (at most 5 MB). `external_id` is the idempotency key: a report sent again "
        "is answered with its first id and status `duplicate`, and nothing changes.\n\n"
        "One report: 201 created, 200 duplicate, 422 invalid (nothing stored).\n\n"
        "A batch: 200 with `results` (accepted reports, in request order) and `rejected` "
        "(invalid ones, by index, with field-level errors); the valid reports are stored "
        "even when others are rejected. An empty or too long list: 422, nothing stored."
    ),
    response={200: ReportAcceptedOut | BatchOut, 201: ReportAcceptedOut, **ERRORS},
    openapi_extra=body_of(ReportIn, ReportBatchIn),
)
def reports_submit(request: HttpRequest) -> Status[dict[str, Any]]:
    payload = read_json(request)
    if not isinstance(payload, dict):
        raise ApiError(422, _SHAPE, [{"field": "", "message": "Must be a JSON object."}])
    categories = _category_codes()
    if "reports" in payload:
        return _batch(payload, categories)
    return _single(payload, categories)
