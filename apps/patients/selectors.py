"""Reading patients: scoped lists, ranked search, single records."""

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Value, When

from apps.clinics.models import Clinic
from apps.patients.models import Patient
from apps.patients.search import (
    DUPLICATE_NAME_SIMILARITY,
    MIN_NAME_LENGTH,
    NAME_SIMILARITY_THRESHOLD,
    SearchTerms,
    parse_search,
    trigram_similarity,
)


class SearchTooShort(ValueError):
    pass


def _use_trigram_threshold() -> None:
    # The `%` operator (the one the GiST trigram index serves) reads its threshold from
    # the session. Set on every search: a SET inside a transaction that rolls
    # back is undone, so remembering "already set" per connection is unsafe.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(NAME_SIMILARITY_THRESHOLD)])


def patient_list(*, queryset: QuerySet[Patient], include_archived: bool = False) -> QuerySet[Patient]:
    """A tenancy-scoped queryset of patients, alphabetical, active only unless asked."""
    if not include_archived:
        queryset = queryset.filter(active=True)
    # A record merged into another is never listed: the survivor stands for it.
    return queryset.filter(merged_into__isnull=True).order_by("family_name", "given_name", "id")


def clinic_regions(*, clinic_ids: list[Any]) -> set[str]:
    return set(Clinic.objects.filter(pk__in=clinic_ids).exclude(country="").values_list("country", flat=True))


def patient_search(*, queryset: QuerySet[Patient], text: str, regions: set[str]) -> QuerySet[Patient]:
    """Patients matching a search box, best match first.

    Dates, MRNs and phone numbers are exact lookups; names are typo-tolerant
    (trigram similarity) on PostgreSQL and a folded substring match elsewhere.
    """
    terms: SearchTerms = parse_search(text, regions)
    queryset = queryset.filter(merged_into__isnull=True)
    if terms.date_of_birth is not None:
        return queryset.filter(date_of_birth=terms.date_of_birth).order_by("family_name", "given_name", "id")
    if terms.mrn or terms.phones:
        exact = Q(mrn=terms.mrn) if terms.mrn else Q()
        if terms.phones:
            exact |= Q(phone__in=terms.phones)
        return queryset.filter(exact).order_by("family_name", "given_name", "id")
    if len(terms.name) < MIN_NAME_LENGTH:
        raise SearchTooShort(f"Search for at least {MIN_NAME_LENGTH} characters.")
    if connection.vendor == "postgresql" and len(terms.name) >= 3:
        _use_trigram_threshold()
        return (
            queryset.filter(search_name__trigram_similar=terms.name)
            .annotate(rank=TrigramSimilarity("search_name", terms.name))
            .order_by("-rank", "family_name", "id")
        )
    # Short terms (no trigram can help) and SQLite: every word must appear, prefixes rank first.
    matches = queryset
    for word in terms.name.split():
        matches = matches.filter(search_name__contains=word)
    starts = Case(When(search_name__startswith=terms.name, then=Value(1.0)), default=Value(0.5))
    return matches.annotate(rank=starts).order_by(F("rank").desc(), "family_name", "id")


@dataclass(frozen=True)
class DuplicatePair:
    """Two active records of one clinic that look like one person, for the merge review list."""

    first_id: Any
    second_id: Any
    reason: str  # "similar_name" or "same_phone"
    similarity: float


def patient_duplicate_pairs(*, clinic_id: Any, limit: int = 100) -> list[DuplicatePair]:
    """Pairs with the same birth date and similar names, or the same birth date and phone, most alike first.

    Only birth dates held by more than one active record are read, so the
    comparison runs on a handful of rows per date, identically on every database.
    """
    active = Patient.objects.filter(clinic_id=clinic_id, active=True, merged_into__isnull=True)
    shared = active.values("date_of_birth").annotate(n=Count("id")).filter(n__gt=1).values("date_of_birth")
    rows = active.filter(date_of_birth__in=shared).values("id", "date_of_birth", "search_name", "phone")
    by_date: dict[Any, list[dict[str, Any]]] = {}
    for row in rows.order_by("date_of_birth", "id"):
        by_date.setdefault(row["date_of_birth"], []).append(dict(row))
    pairs = []
    for group in by_date.values():
        for index, first in enumerate(group):
            for second in group[index + 1 :]:
                similarity = trigram_similarity(first["search_name"], second["search_name"])
                if similarity >= DUPLICATE_NAME_SIMILARITY:
                    pairs.append(DuplicatePair(first["id"], second["id"], "similar_name", similarity))
                elif first["phone"] and first["phone"] == second["phone"]:
                    pairs.append(DuplicatePair(first["id"], second["id"], "same_phone", similarity))
    pairs.sort(key=lambda pair: (-pair.similarity, str(pair.first_id)))
    return pairs[:limit]
