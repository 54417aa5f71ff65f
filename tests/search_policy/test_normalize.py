"""The normaliser: evasions reduce to the term; near misses and short prefixes do not match."""

from __future__ import annotations

import pytest

from search_policy.normalize import (
    NORMALIZER_VERSION,
    normalize,
    normalized_form,
    term_matches,
)

EVASIONS = [
    "CONTRABAND",
    "ｃｏｎｔｒａｂａｎｄ",  # full-width
    "𝐜𝐨𝐧𝐭𝐫𝐚𝐛𝐚𝐧𝐝",  # math bold
    "ⓒⓞⓝⓣⓡⓐⓑⓐⓝⓓ",  # circled
    "ᶜᵒⁿᵗʳᵃᵇᵃⁿᵈ",  # superscript
    "ᴄᴏɴᴛʀᴀʙᴀɴᴅ",  # small capitals
    "cоntrаband",  # Cyrillic о and а
    "cοntraband",  # Greek ο
    "c0ntr4b4nd",  # leet
    "c.o.n.t.r.a.b.a.n.d",
    "c o n t r a b a n d",
    "contra🔥band",
    "con\u200btra\u200dband",  # zero-width space and joiner
    "contra\u00adband\u202e",  # soft hyphen, bidi override
    "cóntrabänd",  # diacritics
    "c\u0336o\u0336ntraband",  # strikethrough
    "contraaaaband",  # repetition
    "  Contraband!!  ",
]


@pytest.mark.parametrize("query", EVASIONS)
def test_evasions_reduce_to_the_term(query):
    assert term_matches(term="contraband", match_type="exact", query=query)


@pytest.mark.parametrize("query", ["contra", "contrabandist", "band", "cartoon", "contra band x"])
def test_near_misses_do_not_match_an_exact_term(query):
    assert not term_matches(term="contraband", match_type="exact", query=query)


def test_digit_codes_survive_because_both_leet_and_plain_forms_are_compared():
    # "1488" folds to "ia88": the plain compact form keeps the code matchable.
    assert term_matches(term="1488", match_type="exact", query="1 4 8 8")
    assert normalize("1488").compact == "1488"
    assert normalize("1488").compact_leet == "ia88"


def test_prefix_matches_an_autocomplete_query_of_at_least_four_characters():
    assert term_matches(term="counterfeitpass", match_type="prefix", query="COUNTERf")
    assert term_matches(term="counterfeitpass", match_type="prefix", query="c0unt")
    # A short query would block half the dictionary (the Scunthorpe problem).
    assert not term_matches(term="counterfeitpass", match_type="prefix", query="cou")
    assert not term_matches(term="counterfeitpass", match_type="prefix", query="country")


def test_token_terms_match_their_words_in_order_inside_a_longer_query():
    assert term_matches(term="buy weapons", match_type="token", query="where to BUY w3apons now")
    assert not term_matches(term="buy weapons", match_type="token", query="weapons buy")
    assert not term_matches(term="buy weapons", match_type="token", query="buyweapons")
    assert not term_matches(term="buy weapons", match_type="token", query="buy weaponsmith")


def test_an_unknown_match_type_or_an_empty_term_matches_nothing():
    assert not term_matches(term="contraband", match_type="substring", query="contraband")
    assert not term_matches(term="...", match_type="exact", query="...")


def test_the_dotted_capital_i_loses_its_combining_dot():
    assert normalized_form("İstanbul") == "istanbul"


def test_the_normaliser_is_versioned():
    assert NORMALIZER_VERSION == 1
