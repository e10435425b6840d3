"""The audit vocabulary of visit records. Changes never carry the note's text or the codes (clinical data)."""

from django.db import models


class VisitEvent(models.TextChoices):
    """Audit actions recorded by apps.visits (the stored value is the ``action``)."""

    VISIT_OPEN = "visit.open", "Visit record opened"
    VISIT_UPDATE = "visit.update", "Open visit record changed"
    VISIT_SIGN = "visit.sign", "Clinical note signed"
    VISIT_COMPLETE = "visit.complete", "Visit completed (charges captured)"
    VISIT_ADDENDUM = "visit.addendum", "Addendum added to a signed note"
    # Reads: every disclosure of a clinical note.
    VISIT_READ = "visit.read", "Visit record read"
    VISIT_LIST = "visit.list", "Visit records listed"
