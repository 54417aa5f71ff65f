"""
The one function that turns a search query or a blocked term into comparable forms.

Query and term go through the same code, and its version is stored with each term and
published in the feed, so the search service can tell when its copy must re-normalise.
Bump NORMALIZER_VERSION whenever the output of any function here changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

NORMALIZER_VERSION = 2

# Look-alikes that NFKC leaves alone (a small part of UTS #39 confusables.txt): Cyrillic and
# Greek letters that read as Latin ones, and the small capitals used to dodge filters.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
        # Small capitals (survive NFKC and casefold)
        "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h",
        "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p",
        "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
    }
)  # fmt: skip
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_NOT_WORD = re.compile(r"[\W_]+")
_REPEATS = re.compile(r"(.)\1{2,}")  # three or more of a character: squeezed to one
_SPACES = re.compile(r"\s+")

# A prefix match on a short query would hit half the dictionary (the Scunthorpe problem).
MIN_PREFIX_LENGTH = 4


# Languages whose own folding differs from stripping diacritics. German writes "ä" as "ae"
# when the keyboard lacks it, so both spellings must meet; Turkish (and Azerbaijani) "I" is
# the capital of dotless "ı", not of "i" ("SIK" is "sık", not "sik"), and the two are
# different words. Every other language: diacritics stripped, as before.
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})  # casefold already makes ß "ss"
_TURKISH_CAPITALS = str.maketrans({"I": "ı", "İ": "i"})
_TURKIC = frozenset({"tr", "az"})
RULE_LANGUAGES = ("de", "tr", "az")


def language_code(language: str) -> str:
    """ "de-AT", "DE" → "de": the two-letter code the rules and the term scopes use."""
    return language.strip().lower()[:2]


def _strip_marks(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", text.translate(_CONFUSABLES))


def _bases(text: str, language: str) -> tuple[str, ...]:
    """
    NFKC casefold; format characters and marks dropped; look-alikes mapped: one string per
    reading of `text` in `language` (German gives two: "ae" and the plain strip).
    """
    text = unicodedata.normalize("NFKC", text)
    if language in _TURKIC:
        text = text.translate(_TURKISH_CAPITALS)  # before casefold, which knows no locale
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    plain = _strip_marks(text)
    if language == "de":
        german = _strip_marks(unicodedata.normalize("NFC", text).translate(_GERMAN))
        return (plain, german) if german != plain else (plain,)
    return (plain,)


def _compact(text: str) -> str:
    return _REPEATS.sub(r"\1", _NOT_WORD.sub("", text))


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in (_compact(w) for w in _SPACES.split(text)) if t)


@dataclass(frozen=True)
class Form:
    """One reading of a query or term, in the forms it is compared in."""

    tokens: tuple[str, ...]  # words, separators kept (token matching)
    tokens_leet: tuple[str, ...]
    compact: str  # no separators, repeats squeezed (digit codes survive)
    compact_leet: str  # the same after leet folding

    @classmethod
    def of(cls, base: str) -> Form:
        # "$" and "@" are leet letters but not word characters: fold them before compacting.
        leet_base = base.translate(_LEET)
        return cls(
            tokens=_tokens(base),
            tokens_leet=_tokens(leet_base),
            compact=_compact(base),
            compact_leet=_compact(leet_base),
        )


@dataclass(frozen=True)
class Normalized:
    """Every reading of a query or term; the first is the primary one (what is stored)."""

    forms: tuple[Form, ...]

    @property
    def compact(self) -> str:
        return self.forms[0].compact

    @property
    def compact_leet(self) -> str:
        return self.forms[0].compact_leet

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.forms[0].tokens

    @property
    def compact_forms(self) -> frozenset[str]:
        return frozenset(c for f in self.forms for c in (f.compact, f.compact_leet) if c)

    @property
    def token_forms(self) -> frozenset[tuple[str, ...]]:
        return frozenset(t for f in self.forms for t in (f.tokens, f.tokens_leet) if t)


def normalize(text: str, language: str = "") -> Normalized:
    """`text` as read in `language` (a search's language; empty: no language rules)."""
    return _normalize(text, language_code(language))


# Pure functions of their arguments: a batch compares every query with every term, so the
# terms' readings (and a query's, across terms) are worked out once.
@lru_cache(maxsize=4096)
def _normalize(text: str, code: str) -> Normalized:
    return Normalized(forms=tuple(Form.of(b) for b in _bases(text, code)))


def readings(text: str, languages: Sequence[str] = ()) -> Normalized:
    """
    A term as read in each language of its scope. An empty scope covers every language: the
    plain reading first, then each language with rules of its own, so a German searcher's
    "ae" and a Turkish searcher's dotless i meet the term too.
    """
    return _readings(text, tuple(language_code(c) for c in languages))


@lru_cache(maxsize=4096)
def _readings(text: str, codes: tuple[str, ...]) -> Normalized:
    forms: list[Form] = []
    for code in codes or ("", *RULE_LANGUAGES):
        forms.extend(f for f in _normalize(text, code).forms if f not in forms)
    return Normalized(forms=tuple(forms))


def normalized_form(text: str, languages: Sequence[str] = ()) -> str:
    """What a term is stored and published as: its primary reading's leet-folded compact form."""
    return readings(text, languages).compact_leet


def variant_forms(text: str, languages: Sequence[str] = ()) -> list[str]:
    """The term's other published forms (other readings in its scope), sorted."""
    found = readings(text, languages)
    return sorted({f.compact_leet for f in found.forms if f.compact_leet} - {found.compact_leet})


def term_matches(
    *,
    term: str,
    match_type: str,
    query: str,
    language: str = "",
    term_languages: Sequence[str] = (),
) -> bool:
    """
    Whether `query`, searched in `language`, hits `term` (read in each language of its scope)
    under `match_type` (exact, prefix or token). Both leet and non-leet forms are compared,
    since folding leet destroys digit codes ("1488" → "ia88").
    """
    t, q = readings(term, term_languages), normalize(query, language)
    if not t.compact:
        return False
    if match_type == "exact":
        return bool(t.compact_forms & q.compact_forms)
    if match_type == "prefix":
        # Autocomplete: the query is the start of the term, long enough not to hit everything.
        return any(
            len(qf) >= MIN_PREFIX_LENGTH and tf.startswith(qf)
            for qf in q.compact_forms
            for tf in t.compact_forms
        )
    if match_type == "token":
        # The term's words appear in the query, in order and next to each other.
        for tt in t.token_forms:
            n = len(tt)
            for qt in q.token_forms:
                if any(qt[i : i + n] == tt for i in range(len(qt) - n + 1)):
                    return True
        return False
    return False
