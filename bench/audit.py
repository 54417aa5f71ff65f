"""
The audit trail (issue 18, item 6): recording with 8 concurrent writers through
`audit.record`, sealing (`audit.log.seal`, as the periodic task loops it) and verification
(`log.verify_live`, what `manage.py verify_audit` runs), against a raw COPY of the same event
rows (with the canonical body `record` writes, encoded before the timing), a raw COPY of the
same leaf and node rows the sealer writes (rolled back), and a plain-Python parse + canonical
re-encode + hash of the same canonical bytes.

scale.audit_events events at the large stage, 1% of them at the small one: up to 16,000 (400
below the default scale) go through `audit.record`, 8 writers each one event per transaction
as services record them; the rest are the raw COPY of the same rows, so that sealing and
verification work on the whole count without recording 1M events one by one. Adds rows, all of
them kept (the trail is append-only: its triggers refuse DELETE): the events, their leaves
and nodes, and one checkpoint. Whatever was unsealed before (other measurements' events) is
sealed first, untimed, so the figures cover this measurement's events only; nothing is left
unsealed afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import json
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.canonical import EVENT_FIELDS
from bench.core import Context
from bench.throughput_util import copy_rows, full_scale, in_threads, moderators, rolled_back_seconds

WRITERS = 8
ACTION = "case.claimed"
IP_ADDRESS = "192.0.2.1"
# The event's columns but its id (the table numbers the copied rows).
EVENT_COLUMNS = [column for column in EVENT_FIELDS if column != "id"]


class AuditBenchFailed(RuntimeError):
    pass


def event_data(i: int, lease: str) -> dict[str, Any]:
    return {"from": "open", "how": "next", "lease_until": lease, "n": i}


@dataclass(frozen=True)
class Bodies:
    """The canonical bodies `record` writes with the rows of `event_rows`, and their time."""

    now: datetime
    texts: list[str]


def event_rows(
    n: int, *, actors: Sequence[Any], start: int = 0, bodies: Bodies | None = None
) -> Iterator[tuple[Any, ...]]:
    """
    `n` rows of the events `record` writes below: a moderator claims a case, with the
    canonical body `record` writes with it (`event_bodies`; computed here unless given).
    """
    # Read before the rows are generated: no query may run while a COPY streams them.
    roles = _roles(actors)
    if bodies is None:
        bodies = _bodies(n, actors=actors, roles=roles, start=start)
    texts = {pk: json.dumps(names) for pk, names in roles.items()}
    return _event_rows(n, actors=actors, roles=texts, start=start, bodies=bodies)


def event_bodies(n: int, *, actors: Sequence[Any], start: int = 0) -> Bodies:
    """
    The bodies of `event_rows(n, ...)`, computed before a timed COPY: the baseline is the
    writing of the rows `record` writes, not the encoding `record` does.
    """
    return _bodies(n, actors=actors, roles=_roles(actors), start=start)


def _roles(actors: Sequence[Any]) -> dict[int, list[str]]:
    return {a.pk: sorted(a.groups.values_list("name", flat=True)) for a in actors}


def _bodies(n: int, *, actors: Sequence[Any], roles: dict[int, list[str]], start: int) -> Bodies:
    from audit.log.encoding import address_json, event_body_parts

    now = timezone.now()
    lease = now.isoformat()
    address = address_json(IP_ADDRESS)
    texts = []
    for i in range(start, start + n):
        actor = actors[i % len(actors)]
        head, tail = event_body_parts(
            occurred_at=now, actor_id=actor.pk, actor_username=actor.get_username(),
            actor_roles=roles[actor.pk], request_id=f"bench-{i}", action=ACTION,
            target_type="moderation.case", target_id=str(i + 1), data=event_data(i, lease),
        )  # fmt: skip
        texts.append(head + address + tail)
    return Bodies(now, texts)


def _event_rows(
    n: int, *, actors: Sequence[Any], roles: dict[int, str], start: int, bodies: Bodies
) -> Iterator[tuple[Any, ...]]:
    now = bodies.now  # a body is its event's fields: the same time, the same lease
    lease = now.isoformat()
    for i in range(start, start + n):
        actor = actors[i % len(actors)]
        yield (
            now, actor.pk, actor.get_username(), roles[actor.pk], IP_ADDRESS,
            f"bench-{i}", ACTION, "moderation.case", str(i + 1), json.dumps(event_data(i, lease)),
            bodies.texts[i - start],
        )  # fmt: skip


def copy_events(
    n: int, *, actors: Sequence[Any], start: int = 0, bodies: Bodies | None = None
) -> int:
    rows = event_rows(n, actors=actors, start=start, bodies=bodies)
    return copy_rows("audit_auditevent", [*EVENT_COLUMNS, "canonical_body"], rows)


def _writer(actor: Any, start: int, n: int) -> int:
    import audit

    lease = timezone.now().isoformat()
    for i in range(start, start + n):
        with transaction.atomic():
            audit.record(
                action=ACTION,
                actor=actor,
                target_type="moderation.case",
                target_id=str(i + 1),
                data=event_data(i, lease),
            )
    return n


def seal_everything() -> int:
    from audit import log

    sealed = 0
    while found := log.seal().sealed:
        sealed += found
    return sealed


def pending_leaves() -> tuple[int, list[int], list[bytes], list[bytes]]:
    """
    The leaves the sealer will append next, computed the sealer's way: the tree size, and
    the unsealed events' ids, canonical bytes and leaf hashes in sealing order. Assumes no
    late commit below the highest sealed id (the caller sealed everything before adding).
    """
    from audit import log, merkle
    from audit.models import AuditEvent

    size = log.tree_size()
    high = log.last_sealed_event_id()
    ids: list[int] = []
    texts: list[bytes] = []
    for event in AuditEvent.objects.filter(id__gt=high).order_by("id").iterator(5000):
        ids.append(event.pk)
        texts.append(log.event_bytes(event))
    return size, ids, texts, [merkle.leaf_hash(t) for t in texts]


def leaf_and_node_rows(
    size: int, event_ids: list[int], hashes: list[bytes]
) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, bytes]]]:
    """The leaf and node rows the sealer writes when it appends these leaves to the tree."""
    from audit import log, merkle

    now = timezone.now()
    leaves = [(size + i, e, h, now) for i, (e, h) in enumerate(zip(event_ids, hashes, strict=True))]
    return leaves, merkle.perfect_nodes_for_append(size, hashes, log.StoredNodes())


def copy_leaves_and_nodes(
    leaves: list[tuple[Any, ...]], nodes: list[tuple[int, int, bytes]]
) -> int:
    """COPY leaf and node rows into the indexed tables; the number of rows written."""
    written = copy_rows(
        "audit_auditleaf", ["leaf_index", "event_id", "leaf_hash", "sealed_at"], leaves
    )
    return written + copy_rows("audit_auditnode", ["level", "position", "hash"], nodes)


def plain_python(texts: list[bytes]) -> None:
    """What verification must do per event at the least: parse, re-encode, compare, hash."""
    from audit.canonical import canonical_event_bytes

    sha256 = hashlib.sha256
    for text in texts:
        again = canonical_event_bytes(json.loads(text))
        if again != text:
            raise AuditBenchFailed("an event's bytes are not canonical")
        sha256(b"\x00" + again).digest()


def measure(ctx: Context) -> None:
    from audit import log

    full = full_scale(ctx)
    total = (
        ctx.scale.audit_events if ctx.stage == "large" else max(ctx.scale.audit_events // 100, 200)
    )
    recorded = min(total, 16_000 if full else 400) // WRITERS * WRITERS
    copied = total - recorded
    stage = ctx.stage
    events = f"{total:,} events"
    actors = moderators(WRITERS)
    seal_everything()  # others' events: not this measurement's
    start = int(datetime.now(UTC).timestamp())  # distinct request ids from run to run

    per = recorded // WRITERS
    _, record_wall = in_threads(
        [functools.partial(_writer, actors[w], start + w * per, per) for w in range(WRITERS)]
    )
    ctx.figure(
        "audit.record",
        f"Audit record, {WRITERS} writers, audit.record ({recorded:,} events)",
        recorded / record_wall,
        "events/s",
    )
    # The raw COPY of the same rows: the rest of the stage's events, kept.
    if copied:
        bodies = event_bodies(copied, actors=actors, start=start + recorded)
        started = time.perf_counter()
        with transaction.atomic():
            copy_events(copied, actors=actors, start=start + recorded, bodies=bodies)
        copy_wall = time.perf_counter() - started
        copy_count = copied
        del bodies  # up to a million strings
    else:
        copy_count = recorded
        bodies = event_bodies(recorded, actors=actors, start=start)
        copy_wall = rolled_back_seconds(
            lambda: copy_events(recorded, actors=actors, start=start, bodies=bodies)
        )
    ctx.figure(
        "audit.copy_events",
        f"Raw COPY of the same event rows ({copy_count:,} events)",
        copy_count / copy_wall,
        "events/s",
    )

    size, event_ids, texts, hashes = pending_leaves()
    if len(event_ids) != total:
        raise AuditBenchFailed(f"{len(event_ids)} events to seal, expected {total}")
    # The node hashes are computed outside the timing: the baseline is the writing alone.
    leaves, nodes = leaf_and_node_rows(size, event_ids, hashes)
    leaves_wall = rolled_back_seconds(lambda: copy_leaves_and_nodes(leaves, nodes))
    ctx.figure(
        "audit.copy_leaves",
        f"Raw COPY of the same leaf and node rows, rolled back ({events})",
        total / leaves_wall,
        "events/s",
    )
    hashes, event_ids, leaves, nodes = [], [], [], []  # free the memory before sealing

    started = time.perf_counter()
    sealed = seal_everything()
    seal_wall = time.perf_counter() - started
    if sealed != total:
        raise AuditBenchFailed(f"sealed {sealed} events, expected {total}")
    ctx.figure(
        "audit.seal",
        f"Audit sealing, audit.log.seal until done ({events})",
        total / seal_wall,
        "events/s",
    )
    log.checkpoint_create()

    started = time.perf_counter()
    result = log.verify_live()
    verify_wall = time.perf_counter() - started
    if not result.ok:
        raise AuditBenchFailed(f"verify_audit failed: {result.message}")
    ctx.figure(
        "audit.verify",
        f"verify_audit, whole log ({result.tree_size:,} events)",
        result.tree_size / verify_wall,
        "events/s",
    )
    runs = 1 if full and stage == "large" else min(ctx.scale.repeat, 3)
    plain = statistics.median(_timed(plain_python, texts) for _ in range(runs))
    ctx.figure(
        "audit.plain_python",
        f"Plain Python parse + canonical re-encode + hash ({events})",
        total / plain,
        "events/s",
        runs=runs,
    )
    if stage == "large":
        ctx.results.ratio(
            "audit.seal_vs_copy",
            "Sealing / raw COPY of its leaf and node rows (≥ 50%)",
            "audit.seal.large",
            "audit.copy_leaves.large",
            ">=",
            0.5,
        )
        ctx.results.ratio(
            "audit.verify_vs_python",
            "verify_audit / plain-Python parse + re-encode + hash (≥ 50%)",
            "audit.verify.large",
            "audit.plain_python.large",
            ">=",
            0.5,
        )


def _timed(fn: Any, *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started
