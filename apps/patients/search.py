"""How a search box's text becomes a query: folding, routing by shape, similarity.

Names are folded (case, accents) the same way when stored and when searched,
so "Jose" finds "José" without the unaccent extension. Input shaped like a
date, an MRN or a phone number goes to exact btree lookups; anything else is
a name, matched by trigram similarity on PostgreSQL.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

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
    if _PHONE_CHARS.match(text) and sum(ch.isdigit() for ch in text) >= 6:
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
