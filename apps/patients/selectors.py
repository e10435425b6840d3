"""Reading patients: scoped lists, ranked search, single records."""

from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, FloatField, QuerySet, Value, When

from apps.clinics.models import Clinic
from apps.patients.models import Patient
from apps.patients.search import MIN_NAME_LENGTH, NAME_SIMILARITY_THRESHOLD, SearchTerms, parse_search, rank_names

# The name search outside PostgreSQL ranks in Python: it reads at most this many
# names (the newest first: ids are UUIDv7) and keeps the best matches.
PYTHON_SEARCH_CANDIDATES = 20_000
PYTHON_SEARCH_MATCHES = 200


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
    return queryset.order_by("family_name", "given_name", "id")


def clinic_regions(*, clinic_ids: list[Any]) -> set[str]:
    return set(Clinic.objects.filter(pk__in=clinic_ids).exclude(country="").values_list("country", flat=True))


def patient_search(
    *, queryset: QuerySet[Patient], text: str, regions: set[str], engine: str | None = None
) -> QuerySet[Patient]:
    """Patients matching a search box, best match first.

    Dates and MRNs are exact lookups; phone-shaped text that parses as a
    number in a searched clinic's country is tried as a phone first, then as
    an MRN. Names are typo-tolerant and ranked on every database: pg_trgm on
    PostgreSQL (3+ characters), otherwise word-level trigram scoring in Python
    over at most PYTHON_SEARCH_CANDIDATES names of the scoped clinics.
    ``engine="python"`` forces the Python path (tests run it on PostgreSQL too).
    """
    terms: SearchTerms = parse_search(text, regions)
    if terms.date_of_birth is not None:
        return queryset.filter(date_of_birth=terms.date_of_birth).order_by("family_name", "given_name", "id")
    if terms.phones:
        by_phone = queryset.filter(phone__in=terms.phones).order_by("family_name", "given_name", "id")
        if not terms.mrn or by_phone.exists():
            return by_phone
    if terms.mrn:
        return queryset.filter(mrn=terms.mrn).order_by("family_name", "given_name", "id")
    if terms.phones or not terms.name:
        return queryset.none()
    if len(terms.name) < MIN_NAME_LENGTH:
        raise SearchTooShort(f"Search for at least {MIN_NAME_LENGTH} characters.")
    if engine is None and connection.vendor == "postgresql" and len(terms.name) >= 3:
        _use_trigram_threshold()
        return (
            queryset.filter(search_name__trigram_similar=terms.name)
            .annotate(rank=TrigramSimilarity("search_name", terms.name))
            .order_by("-rank", "family_name", "id")
        )
    return _python_ranked(queryset, terms.name)


def _python_ranked(queryset: QuerySet[Patient], name: str) -> QuerySet[Patient]:
    """Rank a bounded candidate set in Python; the answer is still a queryset (paginated as usual)."""
    candidates = queryset.order_by("-id").values_list("pk", "search_name")[:PYTHON_SEARCH_CANDIDATES]
    ranked = rank_names(name, candidates, limit=PYTHON_SEARCH_MATCHES)
    if not ranked:
        return queryset.none()
    rank = Case(
        *(When(pk=pk, then=Value(score)) for pk, score in ranked), default=Value(0.0), output_field=FloatField()
    )
    return queryset.filter(pk__in=[pk for pk, _ in ranked]).annotate(rank=rank).order_by("-rank", "family_name", "id")
