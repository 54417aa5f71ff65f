"""
The one function that turns a search query or a blocked term into comparable forms.

Query and term go through the same code, and its version is stored with each term and
published in the feed, so the search service can tell when its copy must re-normalise.
Bump NORMALIZER_VERSION whenever the output of any function here changes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NORMALIZER_VERSION = 1

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


def _base(text: str) -> str:
    """NFKC casefold; format characters and marks dropped; look-alikes mapped."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", text.translate(_CONFUSABLES))


def _compact(text: str) -> str:
    return _REPEATS.sub(r"\1", _NOT_WORD.sub("", text))


@dataclass(frozen=True)
class Normalized:
    """The forms a query or term is compared in."""

    tokens: tuple[str, ...]  # words, separators kept (token matching)
    tokens_leet: tuple[str, ...]
    compact: str  # no separators, repeats squeezed (digit codes survive)
    compact_leet: str  # the same after leet folding

    @property
    def compact_forms(self) -> frozenset[str]:
        return frozenset(f for f in (self.compact, self.compact_leet) if f)


def normalize(text: str) -> Normalized:
    base = _base(text)
    # "$" and "@" are leet letters but not word characters: fold them before compacting.
    leet_base = base.translate(_LEET)
    return Normalized(
        tokens=_tokens(base),
        tokens_leet=_tokens(leet_base),
        compact=_compact(base),
        compact_leet=_compact(leet_base),
    )


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in (_compact(w) for w in _SPACES.split(text)) if t)


def normalized_form(text: str) -> str:
    """What a term is stored and published as: its leet-folded compact form."""
    return normalize(text).compact_leet


def term_matches(*, term: str, match_type: str, query: str) -> bool:
    """
    Whether `query` hits `term` under `match_type` (exact, prefix or token). Both leet and
    non-leet forms are compared, since folding leet destroys digit codes ("1488" → "ia88").
    """
    t, q = normalize(term), normalize(query)
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
        for tt, qt in ((t.tokens, q.tokens), (t.tokens_leet, q.tokens_leet)):
            n = len(tt)
            if n and any(qt[i : i + n] == tt for i in range(len(qt) - n + 1)):
                return True
        return False
    return False
