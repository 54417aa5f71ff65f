"""GET /api/v1/search-policy: the versioned, incremental feed the platform's search syncs."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError
from api_core.schemas import ERRORS
from search_policy import selectors
from search_policy.normalize import NORMALIZER_VERSION

router = Router(tags=["search policy"])


class ChangeOut(Schema):
    version: int
    op: Literal["add", "remove"]
    entry: dict[str, Any] = Field(
        description=(
            "`id` and `kind` (query_term, channel, group, bot, account, message); an added "
            "query term also has `normalized`, `normalizer_version`, `match_type` (exact, "
            "prefix, token), `languages`, `countries`, `category`, `action` BLOCK_RESULTS; an "
            "added entity `platform_id`, `category`, `expires_at`, `action` DELIST."
        )
    )


class FeedOut(Schema):
    from_version: int = Field(alias="from")
    to: int
    normalizer_version: int
    changes: list[ChangeOut]
    next_cursor: str | None


def _cursor_encode(after: int, to: int) -> str:
    return base64.urlsafe_b64encode(f"{after}:{to}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[int, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        after, to = (int(part) for part in raw.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (after, to) if 0 <= after <= to else None


@router.get(
    "",
    auth=ApiTokenAuth(Scope.SEARCH_POLICY),
    url_name="search_policy_feed",
    summary="Sync the search policy",
    description=(
        "Scope `search_policy`. The blocked query terms and delisted entities as a log of "
        "changes: `since=V` returns the changes after version V (0 or absent: everything, "
        "which replayed is the full policy), oldest first, at most `limit` a page; follow "
        "`next_cursor` (every page is as of the same version `to`) and keep `to` for the next "
        "sync. Apply removals by `entry.id`. Queries must be normalised with the published "
        '`normalizer_version`. The response carries `ETag: "<to>"`; send it back in '
        "`If-None-Match` to get 304 when nothing changed."
    ),
    response={200: FeedOut, 304: None, **{s: ERRORS[s] for s in (401, 403, 422)}},
    by_alias=True,
)
def search_policy_feed(
    request: HttpRequest,
    response: HttpResponse,
    since: int = Query(0, ge=0, description="The `to` of the last sync (0: from the start)."),
    cursor: str | None = Query(None, description="The previous page's next_cursor."),
    limit: int = Query(
        selectors.FEED_PAGE_SIZE, ge=1, le=selectors.FEED_PAGE_SIZE, description="1 to 500."
    ),
) -> Any:
    if cursor is not None:
        decoded = _cursor_decode(cursor)
        if decoded is None:
            raise ApiError(
                422,
                "The query is not valid.",
                [{"field": "cursor", "message": "Use a next_cursor value from this API."}],
            )
        after, to = decoded
    else:
        after, to = None, selectors.feed_head()
    etag = f'"{to}"'
    if cursor is None and request.headers.get("If-None-Match") == etag:
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        return not_modified
    page = selectors.feed_page(since=since, after=after, to_version=to, limit=limit)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return {
        "from": since,
        "to": to,
        "normalizer_version": NORMALIZER_VERSION,
        "changes": page.changes,
        "next_cursor": (
            _cursor_encode(page.next_after, to) if page.next_after is not None else None
        ),
    }
