"""GET /api/v1/search-policy: the versioned, incremental feed the platform's search syncs."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError
from api_core.schemas import ERRORS
from search_policy import selectors, signing
from search_policy.normalize import NORMALIZER_VERSION

router = Router(tags=["search policy"])


class ChangeOut(Schema):
    version: int
    op: Literal["add", "remove"]
    entry: dict[str, Any] = Field(
        description=(
            "`id` and `kind` (query_term, allowed_term, channel, group, bot, account, "
            "message); an added query term also has `normalized`, `variants` (its other forms "
            "under a language's own folding: match any of them), `normalizer_version`, "
            "`match_type` (exact, prefix, token), `languages`, `countries`, `category`, "
            "`action` BLOCK_RESULTS; an added allowed term the same without `category`, "
            "`match_type` exact or prefix and `action` ALLOW (apply allowed terms first: a "
            "query one covers is never blocked); an added entity `platform_id`, `category`, "
            "`expires_at`, `action` DELIST."
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
        "`If-None-Match` to get 304 when nothing changed. The body is signed: "
        "`Signature-Ed25519` is the base64 Ed25519 signature of the exact response bytes, "
        "`Signature-Key-Fingerprint` the SHA-256 of the key; get the public key from "
        "`GET /api/v1/search-policy/public-key` and refuse a body that does not verify."
    ),
    response={200: FeedOut, 304: None, **{s: ERRORS[s] for s in (401, 403, 422)}},
    by_alias=True,
)
def search_policy_feed(
    request: HttpRequest,
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
    payload = {
        "from": since,
        "to": to,
        "normalizer_version": NORMALIZER_VERSION,
        "changes": page.changes,
        "next_cursor": (
            _cursor_encode(page.next_after, to) if page.next_after is not None else None
        ),
    }
    # Serialised here, not by the framework, so the signature covers the very bytes sent.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    signed = HttpResponse(body, content_type="application/json; charset=utf-8")
    signed["ETag"] = etag
    signed["Cache-Control"] = "private, no-cache"
    signed[signing.SIGNATURE_HEADER] = signing.sign(body)
    signed[signing.KEY_HEADER] = signing.fingerprint()
    return signed


class PublicKeyOut(Schema):
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="Base64 of the raw 32-byte Ed25519 public key.")
    fingerprint: str = Field(description="SHA-256 of the raw key, hex.")


@router.get(
    "/public-key",
    auth=ApiTokenAuth(Scope.SEARCH_POLICY),
    url_name="search_policy_public_key",
    summary="The key the search policy feed is signed with",
    description=(
        "Scope `search_policy`. Verify each feed body against `Signature-Ed25519` with this "
        "key; compare the fingerprint with `Signature-Key-Fingerprint` to notice a rotation."
    ),
    response={200: PublicKeyOut, **{s: ERRORS[s] for s in (401, 403)}},
)
def search_policy_public_key(request: HttpRequest) -> Any:
    return {
        "algorithm": "Ed25519",
        "public_key": signing.public_key_b64(),
        "fingerprint": signing.fingerprint(),
    }
