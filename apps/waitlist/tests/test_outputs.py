"""The declared outputs write the same JSON from a values() row and from an instance."""

import pytest

from apps.scheduling.tests.factories import open_all_week
from apps.waitlist.models import WaitlistEntry, WaitlistOffer
from apps.waitlist.outputs import ENTRY_OUTPUT, OFFER_OUTPUT
from apps.waitlist.tests.factories import WaitlistEntryFactory, WaitlistOfferFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("with_practitioner", [False, True])
def test_an_entry_renders_the_same_from_a_row_and_an_instance(clinic, with_practitioner):
    practitioner = clinic.staff["practitioner"] if with_practitioner else None
    entry = WaitlistEntryFactory(clinic=clinic, practitioner=practitioner, weekdays=[1, 3])
    row = WaitlistEntry.objects.filter(pk=entry.pk).values(*ENTRY_OUTPUT.columns).get()
    instance = WaitlistEntry.objects.select_related("clinic", "patient", "practitioner").get(pk=entry.pk)
    assert ENTRY_OUTPUT.render(row) == ENTRY_OUTPUT.render_instance(instance)
    assert (ENTRY_OUTPUT.render(row)["practitioner"] is None) == (not with_practitioner)


def test_an_offer_renders_the_same_from_a_row_and_an_instance(clinic):
    practitioner = clinic.staff["practitioner"]
    open_all_week(clinic, practitioner)
    offer = WaitlistOfferFactory(entry__clinic=clinic, practitioner=practitioner)
    row = WaitlistOffer.objects.filter(pk=offer.pk).values(*OFFER_OUTPUT.columns).get()
    instance = WaitlistOffer.objects.select_related("clinic", "entry__patient", "practitioner").get(pk=offer.pk)
    rendered = OFFER_OUTPUT.render(row)
    assert rendered == OFFER_OUTPUT.render_instance(instance)
    assert rendered["patient"]["id"] == str(offer.entry.patient_id)
