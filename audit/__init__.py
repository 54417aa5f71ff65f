"""
The audit trail both apps write to. `audit.record(...)` is the one way to write it.

The names are loaded lazily so `import audit` works before the app registry is ready.
"""

from typing import Any

__all__ = ["pii_digest", "record"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from audit import services

        return getattr(services, name)
    raise AttributeError(name)
