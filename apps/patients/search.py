"""How a search box's text becomes a query: folding, routing by shape, similarity.

Names are folded (case, accents) the same way when stored and when searched,
so "Jose" finds "José" without the unaccent extension. Input shaped like a
date, an MRN or a phone number goes to exact btree lookups; anything else is
a name, matched by trigram similarity: in PostgreSQL (pg_trgm) there, and in
Python over a bounded candidate set on other databases (``rank_names``).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Any

import phonenumbers

MRN_PATTERN = re.compile(r"^P\d{7}$")
_PHONE_CHARS = re.compile(r"^[+(\d][\d\s().\-/]{4,}$")
_SPACES = re.compile(r"\s+")
# Trigram similarity at which a name matches (pg_trgm's default 0.3 misses
# "jon smyth" -> "John Smith", which scores 0.31).
NAME_SIMILARITY_THRESHOLD = 0.2
MIN_NAME_LENGTH = 2


def fold(text: str) -> str:
    """Lower case, accents stripped, whitespace collapsed: "  José  García" -> "jose garcia"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_name_of(given_name: str, family_name: str) -> str:
    return fold(f"{given_name} {family_name}")


def format_mrn(number: int) -> str:
    return f"P{number:07d}"


def phone_e164(raw: str, region: str | None) -> str | None:
    """The E.164 form of a valid phone number, read as dialled in ``region``; else None."""
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class SearchTerms:
    """What a search text asks for; at most a few of these are set."""

    name: str = ""
    date_of_birth: date | None = None
    mrn: str = ""
    phones: set[str] = field(default_factory=set)


def parse_search(text: str, regions: set[str]) -> SearchTerms:
    """Route the text by its shape. ``regions`` are the countries of the clinics searched."""
    text = text.strip()
    terms = SearchTerms()
    try:
        terms.date_of_birth = date.fromisoformat(text)
        return terms
    except ValueError:
        pass
    upper = text.upper().replace(" ", "")
    if MRN_PATTERN.match(upper):
        terms.mrn = upper
        return terms
    if _PHONE_CHARS.match(text):
        # Any length: whatever parses as a valid number in a clinic's country is tried as a
        # phone first (the selector falls back to the MRN only when no phone matches).
        terms.phones = {e164 for region in regions | {""} if (e164 := phone_e164(text, region))}
        digits = re.sub(r"\D", "", text)
        if len(digits) <= 7:
            terms.mrn = format_mrn(int(digits))
        return terms
    terms.name = fold(text)
    return terms


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in re.findall(r"\w+", fold(text)):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


# Names at least this alike (with the same birth date) are likely one person.
DUPLICATE_NAME_SIMILARITY = 0.5


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(), in Python: shared trigrams over all trigrams of both words sets."""
    left, right = _trigrams(a), _trigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


# Word-level matching in Python (the embedded default has no pg_trgm). Each
# query word scores its best match among the name's words: 1.0 if equal, else
# difflib's similarity ratio (a typo costs little: "beckr"/"becker" 0.91,
# "jon"/"john" 0.86, "smyth"/"smith" 0.80), a prefix at least 0.6 plus its
# share of the word (so "jo" finds "john"). The name scores the mean over the
# query's words and matches at WORD_SIMILARITY_THRESHOLD ("jenifer beker"
# against "anna meyer" is 0.55). Every typo pg_trgm's ``%`` finds in the
# search tests is found here too (apps/patients/tests/test_search_everywhere.py).
WORD_SIMILARITY_THRESHOLD = 0.65


def _word_pair_score(word: str, candidate: str) -> float:
    if candidate == word:
        return 1.0
    best = 0.6 + 0.4 * len(word) / len(candidate) if candidate.startswith(word) else 0.0
    matcher = SequenceMatcher(None, word, candidate)
    if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
        best = max(best, matcher.ratio())
    return best


def name_score(query: str, search_name: str, cache: dict[tuple[str, str], float] | None = None) -> float | None:
    """How well a folded query matches a folded name, 0..1 (word order and typos forgiven); None: no match.

    ``cache`` holds word-pair scores across the names of one search: names
    share words, so a clinic's names cost about one comparison per distinct word.
    """
    words = query.split()
    name_words = search_name.split()
    if not words or not name_words:
        return None
    pairs = {} if cache is None else cache
    total = 0.0
    for word in words:
        best = 0.0
        for candidate in name_words:
            key = (word, candidate)
            score = pairs.get(key)
            if score is None:
                score = pairs[key] = _word_pair_score(word, candidate)
            best = max(best, score)
        total += best
    by_words = total / len(words)
    return by_words if by_words >= WORD_SIMILARITY_THRESHOLD else None


def rank_names(query: str, candidates: Iterable[tuple[Any, str]], *, limit: int) -> list[tuple[Any, float]]:
    """The ``limit`` best (id, score) of ``candidates`` (id, search_name) that match ``query`` at all."""
    folded = fold(query)
    cache: dict[tuple[str, str], float] = {}
    by_name: dict[str, float | None] = {}
    scored = []
    for pk, name in candidates:
        if name not in by_name:
            by_name[name] = name_score(folded, name, cache)
        score = by_name[name]
        if score is not None:
            scored.append((pk, score))
    scored.sort(key=lambda item: -item[1])
    return scored[:limit]
