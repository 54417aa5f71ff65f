"""Audit events and exports built for tests."""

from __future__ import annotations

ORIGIN = "tsdash.example/audit"


def make_event(i: int) -> dict:
    return {
        "id": 100 + 3 * i,
        "occurred_at": f"2026-11-28T21:{i % 60:02d}:14.{i:06d}Z",
        "actor_id": None if i % 4 == 0 else i,
        "actor_username": f"user{i:03d}",
        "actor_roles": ["auditor", "moderator"] if i % 2 else [],  # sorted, as recorded
        "ip_address": None if i % 3 == 0 else f"10.0.0.{i}",
        "request_id": f"req-{i:04d}",
        "action": "report.reviewed" if i % 2 else "disclosure.released",
        "target_type": "report",
        "target_id": str(5000 + i),
        "data": {"note": f"Überprüfung #{i} — “ok”\n", "n": i, "nested": {"z": [1, None, True]}},
    }
