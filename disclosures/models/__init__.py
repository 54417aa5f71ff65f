from disclosures.models.access import DisclosureAccess
from disclosures.models.authorities import Authority, AuthorityContact
from disclosures.models.holds import PreservationHold
from disclosures.models.policy import DisclosurePolicy
from disclosures.models.release import DeadlineReminder, ReleasePackage, UserNotice
from disclosures.models.requests import DataCategory, LegalRequest, RequestTarget, VerificationCheck
from disclosures.models.scope import Approval, Scope
from disclosures.models.subscriber import SubscriberIp, SubscriberPhone
from disclosures.models.unmask import PiiUnmask

__all__ = [
    "Approval",
    "Authority",
    "AuthorityContact",
    "DataCategory",
    "DeadlineReminder",
    "DisclosureAccess",
    "DisclosurePolicy",
    "LegalRequest",
    "PiiUnmask",
    "PreservationHold",
    "ReleasePackage",
    "RequestTarget",
    "Scope",
    "SubscriberIp",
    "SubscriberPhone",
    "UserNotice",
    "VerificationCheck",
]
