"""The audit vocabulary of the waitlist: entries, offers, and every read of them (they name patients)."""

from django.db import models


class WaitlistEvent(models.TextChoices):
    """Audit actions recorded by apps.waitlist (the stored value is the ``action``)."""

    ENTRY_CREATE = "waitlist_entry.create", "Patient put on the waitlist"
    ENTRY_UPDATE = "waitlist_entry.update", "Waitlist entry changed"
    ENTRY_REMOVE = "waitlist_entry.remove", "Patient taken off the waitlist"
    ENTRY_READ = "waitlist_entry.read", "Waitlist entry read"
    ENTRY_LIST = "waitlist_entry.list", "Waitlist listed"
    DAY_READ = "waitlist.day_read", "A day's waitlist and offers read"
    OFFER_MAKE = "waitlist_offer.make", "Freed slot offered"
    OFFER_CONFIRM = "waitlist_offer.confirm", "Offer confirmed (appointment booked)"
    OFFER_DECLINE = "waitlist_offer.decline", "Offer declined"
    OFFER_EXPIRE = "waitlist_offer.expire", "Offer expired"
    OFFER_WITHDRAW = "waitlist_offer.withdraw", "Offer withdrawn (entry removed)"
    OFFER_READ = "waitlist_offer.read", "Offer read"
