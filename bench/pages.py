"""
Pages (issue items 1-3): the queue (selector, whole view, its raw SQL), the framework's floor,
the case page, the project's admin changelist and a stock one.

Views go through django.test.Client, so every middleware runs (sessions, the login and
second-factor policy, CSRF, locale, audit context). The floor is `bench.urls.empty_page`: a
signed-in page of the app's base layout with no content, registered only in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from bench import data
from bench.core import Context, Figure, median_seconds

DEEP_SHARE = 0.8  # a deep page starts this far into the rows (keyset and OFFSET alike)
ADMIN_URL = "/admin/moderation/case/"
STOCK_ADMIN_URL = "/bench/stock-admin/moderation/case/"

# The figures `measure` adds at each stage (keys without the stage suffix).
FIGURES = (
    "queue.first.selector",
    "queue.deep.selector",
    "queue.first.view",
    "queue.deep.view",
    "queue.first.raw",
    "queue.deep.raw",
    "empty.view",
    "queue.rare.selector",
    "queue.rare.count",
    "case.typical.view",
    "case.prolific.view",
    "admin.project.first",
    "admin.project.deep",
    "admin.stock.first",
    "admin.stock.deep",
)


def _ms(ctx: Context, key: str, label: str, fn: Callable[[], object], **extra: Any) -> Figure:
    # Two unmeasured runs: the first stage would otherwise pay for cold template and URL caches.
    repeat = ctx.scale.page_repeat or ctx.scale.repeat
    seconds = median_seconds(fn, repeat=repeat, warmup=2)
    return ctx.figure(
        key,
        f"{label}, {ctx.cases():,} cases",
        seconds * 1000,
        "ms",
        runs=repeat,
        extra=extra,
    )


def _get(client: Any, url: str) -> Callable[[], object]:
    def fetch() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url}: {response.status_code}")
        return response

    return fetch


def deep_position(*, share: float = DEEP_SHARE) -> tuple[int, int, int]:
    """(priority, id, depth) of the open case `share` of the way down the queue's order."""
    from moderation.models import Case

    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE status = 'open' AND rollup_parent_id IS NULL"  # noqa: S608 (a model's table)
        )
        depth = int(cursor.fetchone()[0] * share)
        cursor.execute(
            f"SELECT priority, id FROM {table} WHERE status = 'open' AND rollup_parent_id IS NULL"  # noqa: S608 (a model's table)
            " ORDER BY priority DESC, id OFFSET %s LIMIT 1",
            [depth],
        )
        priority, pk = cursor.fetchone()
    return int(priority), int(pk), depth


# The queue page's rows in one hand-written query: the case with what `_rows` joins
# (category, subject and its author, the claimer), the same filter and order.
_RAW_SELECT = """
SELECT c.*, cat.*, s.*, a.*, u.id, u.username
FROM {case} c
JOIN {category} cat ON cat.id = c.category_id
JOIN {subject} s ON s.id = c.subject_id
JOIN {account} a ON a.id = s.author_id
LEFT JOIN {user} u ON u.id = c.claimed_by_id
WHERE c.status = 'open' AND c.rollup_parent_id IS NULL {where}
ORDER BY {order}
LIMIT %s
"""


def _raw_sql(where: str, order: str) -> str:
    from accounts.models import User
    from moderation.models import Case, Category, PlatformAccount, Subject

    return _RAW_SELECT.format(
        case=Case._meta.db_table,
        category=Category._meta.db_table,
        subject=Subject._meta.db_table,
        account=PlatformAccount._meta.db_table,
        user=User._meta.db_table,
        where=where,
        order=order,
    )


def raw_connection() -> Any:
    """A plain psycopg connection to the same database, outside Django."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def measure(ctx: Context) -> None:
    from django.conf import settings

    from moderation.models import Case
    from moderation.selectors.queue import QueueCursor, QueueFilters, queue_counts, queue_page

    facts = ctx.facts
    size = settings.QUEUE_PAGE_SIZE
    moderator = data.logged_in_client(data.MODERATORS[0])
    admin = data.logged_in_client(data.ADMIN)
    priority, pk, depth = deep_position()
    cursor = QueueCursor(priority, pk).encode()

    # 1. The queue: selector, whole view, the same rows in raw SQL, and the floor.
    first_filters = QueueFilters()
    _ms(
        ctx,
        "queue.first.selector",
        "Queue page 1, selector",
        lambda: queue_page(filters=first_filters),
    )
    _ms(
        ctx,
        "queue.deep.selector",
        "Queue deep page, selector",
        lambda: queue_page(filters=first_filters, cursor=cursor),
        depth=depth,
    )
    _ms(ctx, "queue.first.view", "Queue page 1, whole view", _get(moderator, "/moderation/"))
    _ms(
        ctx,
        "queue.deep.view",
        "Queue deep page, whole view",
        _get(moderator, f"/moderation/?status=open&cursor={cursor}"),
        depth=depth,
    )
    with raw_connection() as raw:
        first_sql = _raw_sql("", "c.priority DESC, c.id")
        same_sql = _raw_sql("AND c.priority = %s AND c.id > %s", "c.id")
        lower_sql = _raw_sql("AND c.priority < %s", "c.priority DESC, c.id")

        def raw_first() -> object:
            return raw.execute(first_sql, [size + 1]).fetchall()

        def raw_deep() -> object:
            rows = raw.execute(same_sql, [priority, pk, size + 1]).fetchall()
            if len(rows) <= size:
                rows += raw.execute(lower_sql, [priority, size + 1 - len(rows)]).fetchall()
            return rows

        _ms(ctx, "queue.first.raw", "Queue page 1, joined raw SQL (psycopg)", raw_first)
        _ms(
            ctx,
            "queue.deep.raw",
            "Queue deep page, joined raw SQL (psycopg)",
            raw_deep,
            depth=depth,
        )
    _ms(
        ctx,
        "empty.view",
        "Empty signed-in page (framework floor)",
        _get(moderator, "/bench/empty/"),
    )

    # A rare filter combination: the gravest category, bots, authority notices.
    from moderation.models import Category

    gravest = Category.objects.order_by("-severity", "deadline_hours", "pk").first()
    assert gravest is not None
    rare = QueueFilters(categories=(gravest.pk,), subject_types=("bot",), sources=("authority",))
    _ms(
        ctx,
        "queue.rare.selector",
        "Queue, rare filters (category + subject type + source), selector",
        lambda: queue_page(filters=rare),
    )
    _ms(
        ctx,
        "queue.rare.count",
        "Queue, rare filters, capped counts",
        lambda: queue_counts(filters=rare),
    )

    # 2. The case page, typical and for the most prolific author.
    _ms(
        ctx,
        "case.typical.view",
        "Case page, typical author",
        _get(moderator, f"/moderation/cases/{facts.typical_case}/"),
        case=facts.typical_case,
    )
    _ms(
        ctx,
        "case.prolific.view",
        "Case page, most prolific author",
        _get(moderator, f"/moderation/cases/{facts.prolific_case}/"),
        case=facts.prolific_case,
        author_subjects=_author_subjects(facts.prolific_author),
    )

    # 3. Admin changelists: the project's and a stock ModelAdmin, page 1 and deep.
    pages = max(1, Case.objects.count() // 100)
    deep_page = max(2, int(pages * DEEP_SHARE))
    _ms(ctx, "admin.project.first", "Project admin case changelist, page 1", _get(admin, ADMIN_URL))
    reachable = _deepest_reachable(admin, ADMIN_URL, deep_page)
    if reachable != deep_page:
        ctx.results.notes.append(
            f"pages.{ctx.stage}: the project admin serves pages up to {reachable:,} only "
            f"(page {deep_page:,} redirects): its deep page is measured there"
        )
    _ms(
        ctx,
        "admin.project.deep",
        f"Project admin case changelist, page {reachable:,} (deepest served ≤ {deep_page:,})",
        _get(admin, f"{ADMIN_URL}?p={reachable}"),
        page=reachable,
        wanted_page=deep_page,
    )
    _ms(
        ctx,
        "admin.stock.first",
        "Stock ModelAdmin case changelist, page 1",
        _get(admin, STOCK_ADMIN_URL),
    )
    _ms(
        ctx,
        "admin.stock.deep",
        f"Stock ModelAdmin case changelist, page {deep_page:,}",
        _get(admin, f"{STOCK_ADMIN_URL}?p={deep_page}"),
        page=deep_page,
    )


def _deepest_reachable(client: Any, url: str, page: int) -> int:
    """`page`, or the deepest page the changelist serves below it (a capped paginator)."""
    low, high = 1, page
    if client.get(f"{url}?p={page}").status_code == 200:
        return page
    while low < high - 1:  # page `low` is served, `high` is not
        mid = (low + high) // 2
        if client.get(f"{url}?p={mid}").status_code == 200:
            low = mid
        else:
            high = mid
    return low


def _author_subjects(author_id: int) -> int:
    from moderation.models import Subject

    return Subject.objects.filter(author_id=author_id).count()
