"""The signals app's models, one module per concern; import them from here."""

from signals.models.banks import BANK_NAME, BankedHash, HashBank, MatchCursor, SignalsAccess
from signals.models.classifier import ModelVersion
from signals.models.detectors import AutoActionRule, AutomatedAction, Detector
from signals.models.neardup import DuplicateGroup, DuplicateMember, TextBand, TextSignature

__all__ = [
    "BANK_NAME",
    "AutoActionRule",
    "AutomatedAction",
    "BankedHash",
    "Detector",
    "DuplicateGroup",
    "DuplicateMember",
    "HashBank",
    "MatchCursor",
    "ModelVersion",
    "SignalsAccess",
    "TextBand",
    "TextSignature",
]
