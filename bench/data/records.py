"""IP records for extraction, a bank of known media, and an audit trail sealed by the project."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from bench.core import Scale
from bench.data.base import (
    IPS_POOL,
    MODERATORS,
    Copier,
    Facts,
    count_rows,
    max_id,
    sequences_reset,
)

# --- IP records (disclosures) ---------------------------------------------------------------


def ip_records(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    """
    Connection records: one account holds ip_target of them (extraction reads it), the rest
    are spread over every account. Encrypted like the field would, from a pool of addresses.
    """
    from disclosures.crypto import blind_index, encrypt
    from disclosures.models import SubscriberIp

    have = facts.ips_generated
    todo = want["ip_records"] - have
    if todo <= 0:
        return
    facts.ips_generated += todo
    now = facts.now
    pool = []
    for n in range(IPS_POOL):
        ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" if n % 5 else f"2001:db8::{n:x}"
        pool.append((encrypt(ip), blind_index(ip, kind="ip")))
    first, last = facts.accounts
    start = max_id(SubscriberIp) + 1
    target = 0
    if have == 0:
        # The extraction account: the last account, an ordinary one.
        facts.ip_target = target = min(100_000, scale.ip_records_small // 10)
        facts.ip_account = last
        facts.ip_account_platform_id = f"acct-{last}"
        facts.ip_window = (now - timedelta(days=90), now)
    base = now - timedelta(days=90)

    others = last - first  # every account but the extraction one (the last)
    spread = todo - target

    def rows() -> Iterator[tuple[Any, ...]]:
        # Account by account, as a connection log exported per subscriber: the indexes that
        # lead with the account then grow in order (2.8x the rate of random order, measured).
        pk = start
        accounts: Iterable[tuple[int, int]] = ((facts.ip_account, target),) if target else ()
        accounts = itertools.chain(
            accounts,
            (
                (first + n, spread // others + (1 if n < spread % others else 0))
                for n in range(others)
            ),
        )
        for account, k in accounts:
            step = 90 * 86400 // max(k, 1)
            for j in range(k):
                ip, index = pool[rng.randrange(IPS_POOL)]
                # The id in the time keeps (account, ip, port, time) unique across stages.
                seen = base + timedelta(
                    seconds=j * step + rng.randrange(step or 1), microseconds=pk % 1_000_000
                )
                yield (pk, account, ip, index, rng.randint(1024, 65535), seen)
                pk += 1

    Copier(SubscriberIp, ["id", "account", "ip", "ip_index", "port", "seen_at"], now).copy(
        rows(), facts.load
    )


# --- hash banks ------------------------------------------------------------------------------


def bank_hashes(want: dict[str, int], facts: Facts, rng: random.Random) -> None:
    """
    Known media in one bank, as an imported industry list: PDQ hashes (a tenth MD5), added
    by the administrator. Matching itself is measured by `manage.py bench_pdq`.
    """
    from moderation.models import Category
    from signals.models import BankedHash, HashBank

    todo = want["bank_hashes"] - facts.hashes_generated
    if todo <= 0:
        return
    bank, _ = HashBank.objects.get_or_create(
        name="BENCH_KNOWN_MEDIA",
        defaults={
            "description": "Benchmark: an imported list of known media",
            "category": Category.objects.order_by("-severity", "pk").first(),
            "created_by_id": facts.admin,
        },
    )
    start = max_id(BankedHash) + 1
    facts.hashes_generated += todo

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(todo):
            if n % 10:
                yield (start + n, bank.pk, "pdq", f"{rng.getrandbits(256):064x}", facts.admin)
            else:
                yield (start + n, bank.pk, "md5", f"{rng.getrandbits(128):032x}", facts.admin)

    Copier(BankedHash, ["id", "bank", "signal_type", "value", "added_by"], facts.now).copy(
        rows(), facts.load
    )


# --- audit trail ----------------------------------------------------------------------------

AUDIT_ACTIONS = ("case.claimed", "case.released", "case.decided", "case.escalated")


def audit_events(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    """
    Events as services record them, then sealed by the project's own sealer, all but the
    last `seal_pending`: the periodic seal then has the same work at both stages.
    """
    from audit import log
    from audit.log.encoding import address_json, event_body_parts
    from audit.models import AuditEvent
    from moderation.models import Case

    todo = want["audit_events"] - count_rows(AuditEvent)
    if todo <= 0:
        return
    now = facts.now
    start = max_id(AuditEvent) + 1
    last_case = max_id(Case)
    mods = facts.moderators
    names = {pk: name for pk, name in zip(mods, MODERATORS, strict=True)}
    roles = json.dumps(["Moderator"])

    def rows() -> Iterator[tuple[Any, ...]]:
        # With the body `audit.record` stores (the sealer hashes it as it is), so the seal
        # task meets the log production has, not events it must encode from their columns.
        for i in range(todo):
            actor = rng.choice(mods)
            at = now - timedelta(seconds=(todo - i))
            action = rng.choice(AUDIT_ACTIONS)
            target = str(rng.randint(1, last_case))
            head, tail = event_body_parts(
                occurred_at=at, actor_id=actor, actor_username=names[actor],
                actor_roles=["Moderator"], request_id="", action=action,
                target_type="moderation.case", target_id=target, data={},
            )  # fmt: skip
            yield (
                start + i,
                at,
                actor,
                names[actor],
                roles,
                action,
                "moderation.case",
                target,
                "{}",
                head + address_json(None) + tail,
            )

    Copier(
        AuditEvent,
        [
            "id",
            "occurred_at",
            "actor",
            "actor_username",
            "actor_roles",
            "action",
            "target_type",
            "target_id",
            "data",
            "canonical_body",
        ],
        now,
    ).copy(rows(), facts.load)
    sequences_reset()
    facts.seal_pending = max(100, min(1_000, scale.small_cases // 20))
    started = time.perf_counter()
    sealed = 0
    wanted = count_rows(AuditEvent) - facts.seal_pending
    while log.tree_size() < wanted:
        batch = min(log.SEAL_BATCH, wanted - log.tree_size())
        result = log.seal(batch=batch)
        sealed += result.sealed
        if not result.sealed:
            break
    entry = facts.load.setdefault("audit sealing (project code)", {"rows": 0, "seconds": 0.0})
    entry["rows"] += sealed
    entry["seconds"] += time.perf_counter() - started
