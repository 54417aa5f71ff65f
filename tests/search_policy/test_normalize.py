"""The normaliser: evasions reduce to the term; near misses and short prefixes do not match."""

from __future__ import annotations

import pytest

from search_policy.normalize import (
    NORMALIZER_VERSION,
    normalize,
    normalized_form,
    term_matches,
    variant_forms,
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
    assert NORMALIZER_VERSION == 2


# Per-language folding (version 2).


@pytest.mark.parametrize("query", ["Waffenhändler", "WAFFENHAENDLER", "waffenhandler"])
def test_german_umlauts_meet_both_spellings(query):
    assert term_matches(
        term="waffenhändler", match_type="exact", query=query, language="de", term_languages=["de"]
    )
    # A German-scoped term meets the "ae" spelling whatever language the search is in.
    assert term_matches(
        term="waffenhändler", match_type="exact", query=query, term_languages=["de"]
    )


def test_german_folding_is_published_as_a_variant_and_sharp_s_folds_to_ss():
    assert normalized_form("Waffenhändler", ["de"]) == "waffenhandler"
    assert variant_forms("Waffenhändler", ["de"]) == ["waffenhaendler"]
    assert variant_forms("Waffenhändler", ["fr"]) == []  # French strips the dots, as before
    assert normalized_form("Straße", ["de"]) == normalized_form("STRASSE", ["de"]) == "strasse"
    assert term_matches(term="straße", match_type="token", query="die STRASSE hier", language="de")


def test_the_ae_spelling_of_a_term_meets_a_german_query_with_umlauts():
    assert term_matches(
        term="waffenhaendler", match_type="exact", query="Waffenhändler", language="de-AT"
    )
    # Outside German, "ä" is just an "a" with dots: "händler" is not "haendler".
    assert not term_matches(
        term="waffenhaendler", match_type="exact", query="Waffenhändler", language="fr"
    )


def test_turkish_capital_i_is_dotless():
    # "SIK" typed by a Turkish searcher is "sık" (tight), not the blocked "sik".
    assert not term_matches(
        term="sik", match_type="exact", query="SIK", language="tr", term_languages=["tr"]
    )
    assert not term_matches(
        term="sik", match_type="exact", query="sık", language="tr", term_languages=["tr"]
    )
    assert term_matches(
        term="sik", match_type="exact", query="SİK", language="tr", term_languages=["tr"]
    )
    assert term_matches(term="sik", match_type="exact", query="sik", language="az")
    # Elsewhere "I" is the capital of "i".
    assert term_matches(
        term="sik", match_type="exact", query="SIK", language="en", term_languages=["tr"]
    )


def test_a_term_for_every_language_is_read_the_turkish_way_too():
    assert normalized_form("ISTANBUL") == "istanbul"
    assert variant_forms("ISTANBUL") == ["ıstanbul"]
    assert normalized_form("ISTANBUL", ["tr"]) == "ıstanbul"
    assert term_matches(term="ISTANBUL", match_type="exact", query="ISTANBUL", language="tr")


@pytest.mark.parametrize("language", ["", "en", "fr", "es", "pl"])
def test_other_languages_strip_diacritics_as_before(language):
    assert [f.compact for f in normalize("Cóntrabänd", language).forms] == ["contraband"]
    assert normalize("I", language).compact == "i"
