"""The EU Transparency Database's language list, kept in one place (moderation.dsa.vocabulary)."""

from __future__ import annotations

import pytest

from moderation.dsa import CONTENT_LANGUAGES, content_language

# Spot checks against shared/reference/dsa-statement-of-reasons.md, "The EU database's
# language list": its first and last codes, and ones that are easy to get wrong.
LISTED = ["AB", "AA", "EN", "HE", "ID", "YI", "JV", "NB", "NN", "NO", "BH", "ZA", "ZU"]
# Deprecated ISO 639-1 codes, private-use and unknown codes, ISO 639-2/3 codes.
NOT_LISTED = ["IW", "IN", "JI", "JW", "MO", "SH", "XX", "ZZ", "QQ", "ENG", "ZXX", "E", ""]


def test_the_list_holds_the_184_upper_case_codes_of_the_reference():
    assert len(CONTENT_LANGUAGES) == 184
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in CONTENT_LANGUAGES)
    assert set(LISTED) <= CONTENT_LANGUAGES
    assert not set(NOT_LISTED) & CONTENT_LANGUAGES


@pytest.mark.parametrize("code", LISTED)
def test_content_language_takes_listed_codes_in_any_case(code):
    assert content_language(code) == code
    assert content_language(code.lower()) == code
    assert content_language(code.capitalize()) == code


@pytest.mark.parametrize("code", [*NOT_LISTED, *(c.lower() for c in NOT_LISTED), None])
def test_content_language_refuses_everything_else(code):
    assert content_language(code) is None


@pytest.mark.parametrize("code", ["ß", "ﬀ", "ǳ", " en", "en ", "e\u0301"])
def test_content_language_is_not_fooled_by_unicode_case_mapping_or_spaces(code):
    # "ß".upper() == "SS" and "ﬀ".upper() == "FF", both listed codes.
    assert content_language(code) is None
