"""GET /api/v1/statements: statements of reasons, oldest first, a page at a time."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import TypeAdapter, ValidationError

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError, field_errors
from api_core.schemas import ERRORS
from moderation.api.schemas import AwareDatetime, StatementsPageOut
from moderation.selectors.statements import (
    PAGE_SIZE,
    StatementCursor,
    statements_page,
    statements_standing,
    statements_withdrawn_since,
)

router = Router(tags=["statements"])

_since = TypeAdapter(AwareDatetime)


@router.get(
    "",
    auth=ApiTokenAuth(Scope.STATEMENTS),
    url_name="statements_list",
    summary="List statements of reasons",
    description=(
        "Scope `statements`. Statements of reasons (DSA Art. 17) in the Transparency "
        "Database's JSON shape, ordered by creation, at most 100 a page. Follow "
        "`next_cursor` until it is null; `since` keeps statements created at or after an "
        "ISO 8601 date-time with a time zone.\n\n"
        "`standing` says, for each statement's PUID, whether it still stands: `stands` is "
        "false once an appeal reversed its decision (`status` `reversed`) or replaced it "
        "(`status` `superseded`, `superseded_by` the new decision's PUID); a replacing "
        "statement names the one it replaced in `supersedes`. The statements themselves stay "
        "in the database's shape, with nothing added.\n\n"
        "A client that reads from `since` also gets, on the first page, `withdrawn`: the "
        "standing of earlier statements an appeal reversed or replaced since then."
    ),
    response={200: StatementsPageOut, **{s: ERRORS[s] for s in (401, 403, 422)}},
)
def statements_list(
    request: HttpRequest,
    since: str | None = Query(
        None,
        description="ISO 8601 date-time with a time zone: statements created at or after it.",
    ),
    cursor: str | None = Query(None, description="The previous page's next_cursor."),
    limit: int = Query(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="Page size, 1 to 100."),
) -> Status[dict[str, Any]]:
    errors = []
    try:
        since_at = _since.validate_python(since) if since is not None else None
    except ValidationError as exc:
        since_at = None
        errors += [{"field": "since", "message": e["message"]} for e in field_errors(exc)]
    after = StatementCursor.decode(cursor) if cursor is not None else None
    if cursor is not None and after is None:
        errors.append({"field": "cursor", "message": "Use a next_cursor value from this API."})
    if errors:
        raise ApiError(422, "The query is not valid.", errors)
    page, following = statements_page(since=since_at, after=after, limit=limit)
    withdrawn: dict[str, dict[str, Any]] = {}
    truncated = False
    if since_at is not None and after is None:
        withdrawn, truncated = statements_withdrawn_since(since=since_at)
    return Status(
        200,
        {
            "statements": [s.payload for s in page],
            "standing": statements_standing(page),
            "withdrawn": withdrawn,
            "withdrawn_truncated": truncated,
            "next_cursor": following.encode() if following else None,
        },
    )
