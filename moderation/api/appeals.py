"""POST /api/v1/appeals: an affected user's or reporter's appeal against a decision."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import ValidationError

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError, field_errors, read_json
from api_core.schemas import ERRORS, body_of
from moderation.api.schemas import AppealAcceptedOut, AppealIn
from moderation.exceptions import AppealRefused
from moderation.services.appeals import appeal_submit

router = Router(tags=["appeals"])


@router.post(
    "",
    auth=ApiTokenAuth(Scope.APPEALS),
    url_name="appeals_submit",
    summary="Submit an appeal against a decision",
    description=(
        "Scope `appeals`. `decision_puid` is the statement of reasons' PUID. "
        "`external_id` is the idempotency key: 201 created, 200 when it was seen before. "
        "422 when the body is invalid or the appeal is refused (unknown decision, "
        "appellant neither the affected account nor a reporter, window closed, another "
        "appeal pending); nothing is stored then."
    ),
    response={200: AppealAcceptedOut, 201: AppealAcceptedOut, **ERRORS},
    openapi_extra=body_of(AppealIn),
)
def appeals_submit(request: HttpRequest) -> Status[dict[str, Any]]:
    payload = read_json(request)
    if not isinstance(payload, dict):
        raise ApiError(
            422,
            "Send one appeal as a JSON object.",
            [{"field": "", "message": "Must be a JSON object."}],
        )
    try:
        appeal_in = AppealIn.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise ApiError(422, "The appeal is not valid; nothing was stored.", errors) from None
    try:
        appeal, created = appeal_submit(item=appeal_in.to_input())
    except AppealRefused as exc:
        message = str(exc.message)
        raise ApiError(422, message, [{"field": "", "message": message}]) from exc
    if created:
        return Status(201, {"id": appeal.pk, "status": "created"})
    return Status(200, {"id": appeal.pk, "status": "duplicate"})
