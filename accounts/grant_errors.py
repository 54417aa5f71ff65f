"""Refusals of the dual-control services (accounts.services_grants)."""

from __future__ import annotations


class RoleGrantError(Exception):
    """The grant cannot be made as asked (its state, or the input); nothing was written."""

    rule = "refused"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule or self.rule


class RoleGrantDenied(RoleGrantError):
    """A rule of dual control refused the actor; recorded as `authz.denied`."""

    rule = "denied"


class StepUpRequired(RoleGrantDenied):
    rule = "step_up_required"
