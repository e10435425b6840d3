"""Reading patients: scoped lists, ranked search, single records (every read audited here)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, Count, FloatField, Q, QuerySet, Value, When

from apps.audit.record import audit_record, audit_record_reads
from apps.clinics.models import Clinic
from apps.core.errors import ApplicationError, ForbiddenError
from apps.core.roles import READ
from apps.core.tenancy import Access, record_by_id
from apps.patients.events import PatientEvent
from apps.patients.models import Patient
from apps.patients.outputs import PATIENT_OUTPUT
from apps.patients.search import (
    DUPLICATE_NAME_SIMILARITY,
    MIN_NAME_LENGTH,
    NAME_SIMILARITY_THRESHOLD,
    SearchTerms,
    parse_search,
    rank_names,
    trigram_similarity,
)

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


# By name: the order of the (clinic, family_name, given_name, id) index.
NAME_ORDER = ("family_name", "given_name", "id")
ORDERINGS = {"name": NAME_ORDER, "-name": tuple(f"-{column}" for column in NAME_ORDER)}


def patient_list(
    *, access: Access, filters: dict[str, Any], paginate: Callable[[Any], Sequence[Any]]
) -> Sequence[dict[str, Any]]:
    """A page of the caller's patients (``values()`` rows of PATIENT_OUTPUT), audited as read.

    The archived rule: active patients only, unless ``include_archived``, which
    adds the archived ones of clinics where the role may ``read_archived``
    (a role that may do so nowhere gets 403). ``search`` ranks by match unless
    ``ordering`` is given. One audit event per clinic covered, with the ids
    the page disclosed.
    """
    # A record merged into another is never listed: the survivor stands for it.
    patients: QuerySet[Patient] = Patient.objects.visible_to(access, "patients", READ).filter(merged_into__isnull=True)
    if filters.get("include_archived"):
        allowed = access.clinic_ids("patients", "read_archived")
        if not allowed:
            raise ForbiddenError("Your role may not list archived patients.")
        patients = patients.filter(Q(active=True) | Q(clinic_id__in=allowed))
    else:
        patients = patients.filter(active=True)
    clinic_ids = access.clinic_ids("patients", READ)
    text = (filters.get("search") or "").strip()
    if text:
        try:
            patients = patient_search(queryset=patients, text=text, regions=clinic_regions(clinic_ids=clinic_ids))
        except SearchTooShort as exc:
            raise ApplicationError("Invalid input.", fields={"search": [str(exc)]}) from None
    ordering = ORDERINGS.get(filters.get("ordering") or "", NAME_ORDER if not text else None)
    if ordering is not None:
        patients = patients.order_by(*ordering)
    # values() rows, not model instances: the page is read-only and the output renders rows.
    page = paginate(patients.values(*PATIENT_OUTPUT.columns))
    audit_record_reads(
        actor=access.user,
        event=PatientEvent.SEARCH if text else PatientEvent.LIST,
        model=Patient,
        rows=page,
        clinic_ids=clinic_ids,
        query=_audited_query(filters),
    )
    return page


def _audited_query(filters: dict[str, Any]) -> dict[str, str]:
    """What was asked, for the audit (the ids returned are recorded beside it)."""
    query = {name: str(filters[name]) for name in ("clinic", "search", "ordering") if filters.get(name)}
    if filters.get("include_archived"):
        query["include_archived"] = "true"
    return query


def patient_read(*, access: Access, record: Patient) -> Patient:
    """One patient the caller may read (found by the API's scoped lookup), audited as read."""
    audit_record(actor=access.user, obj=record, event=PatientEvent.READ)
    return record


def patient_access_by_id(
    access: Access, patient_id: Any, *, require_active: bool, action: str = READ, field: str = "patient"
) -> Patient:
    """The patient a request body names, if the caller may ``action`` it: the one lookup for it.

    Missing, of another clinic, or unreadable: 400 on ``field`` ("No such
    patient."), the same for all three. Readable but the role may not
    ``action`` patients there: 403. The archived rule is the caller's choice
    and explicit: with ``require_active`` an archived patient is a 400 on
    ``field`` (``patient_archived``): new bookings and invoices need an active
    record; reading history does not.
    """
    patient = record_by_id(
        Patient.objects.all(), access, patient_id, resource="patients", action=action, field=field, noun="patient"
    )
    if require_active and not patient.active:
        raise ApplicationError(
            "This patient is archived.", code="patient_archived", fields={field: ["This patient is archived."]}
        )
    return patient


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
    queryset = queryset.filter(merged_into__isnull=True)
    if terms.date_of_birth is not None:
        return queryset.filter(date_of_birth=terms.date_of_birth).order_by(*NAME_ORDER)
    if terms.phones:
        by_phone = queryset.filter(phone__in=terms.phones).order_by(*NAME_ORDER)
        if not terms.mrn or by_phone.exists():
            return by_phone
    if terms.mrn:
        return queryset.filter(mrn=terms.mrn).order_by(*NAME_ORDER)
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


def patient_duplicate_pair_records(*, access: Access, limit: int = 100) -> list[dict[str, Any]]:
    """The review list (of ``access.clinic_id``, or of every clinic where the caller may merge) with both
    records of each pair, audited as a disclosure."""
    clinic_ids = [access.clinic_id] if access.clinic_id else access.clinic_ids("patients", "merge")
    pairs = [pair for clinic_id in clinic_ids for pair in patient_duplicate_pairs(clinic_id=clinic_id, limit=limit)]
    pairs = sorted(pairs, key=lambda pair: -pair.similarity)[:limit]
    ids = {pair.first_id for pair in pairs} | {pair.second_id for pair in pairs}
    records = Patient.objects.in_bulk(list(ids))
    audit_record_reads(
        actor=access.user,
        event=PatientEvent.LIST,
        model=Patient,
        rows=list(records.values()),
        clinic_ids=clinic_ids,
        query={"duplicates": "review"},
    )
    return [
        {
            "first": records[pair.first_id],
            "second": records[pair.second_id],
            "reason": pair.reason,
            "similarity": pair.similarity,
        }
        for pair in pairs
    ]
