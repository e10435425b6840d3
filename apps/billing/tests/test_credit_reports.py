"""Credit notes in the revenue and aging reports, against hand-computed totals (the March data set of test_reports)."""

from datetime import date
from decimal import Decimal as D

import pytest

from apps.billing.credit_notes import credit_note_issue
from apps.billing.models import CreditNote, Invoice
from apps.billing.tests.test_reports import AGING, REVENUE, march_of
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def credit(clinic, invoice, on, **kwargs):
    note = credit_note_issue(actor=clinic.staff[Role.BILLING], invoice=invoice, reason="Correction", **kwargs)
    CreditNote.objects.filter(pk=note.pk).update(issue_date=on)
    return note


def test_credit_notes_lower_outstanding_and_are_counted_on_their_day(as_user, clinic, other_clinic):
    march_of(clinic)
    march_of(other_clinic)
    invoices = Invoice.objects.filter(clinic_id=clinic.pk)
    b = invoices.get(total=D("160.00"))  # 160.00, 60.00 paid
    c = invoices.get(total=D("16.02"))  # unpaid
    credit(clinic, b, date(2026, 3, 10), kind="amount", amount=D("50.00"))
    credit(clinic, c, date(2026, 3, 12), kind="full")
    client = as_user(clinic.staff[Role.BILLING])
    report = client.get(REVENUE, {"clinic": str(clinic.pk), "from": "2026-03-01", "to": "2026-03-31"}).json()
    totals = report["totals"]
    assert (totals["issued"], totals["credited"], totals["credit_notes"]) == ("279.82", "66.02", 2)  # 50.00 + 16.02
    # A 10.00 + B (160.00 - 50.00 - 60.00 = 50.00) + C (16.02 - 16.02 = 0)
    assert totals["outstanding"] == "60.00"
    days = {day["date"]: day for day in report["by_day"]}
    assert (days["2026-03-10"]["credited"], days["2026-03-12"]["credited"]) == ("50.00", "16.02")
    assert (days["2026-03-02"]["outstanding"], days["2026-03-05"]["outstanding"]) == ("60.00", "0.00")
    aging = client.get(AGING, {"clinic": str(clinic.pk)}).json()
    # March is past 90 days by now: A 10.00 and B 50.00 are owed; C is settled by its credit note
    assert aging["total"] == {"outstanding": "60.00", "overdue": "60.00", "invoices": 2}
    assert [b["outstanding"] for b in aging["buckets"]] == ["0.00", "0.00", "0.00", "60.00"]


def test_both_reports_come_as_csv_with_the_same_figures(as_user, clinic):
    march_of(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    params = {"clinic": str(clinic.pk), "from": "2026-03-01", "to": "2026-03-31"}
    response = client.get(REVENUE, params, HTTP_ACCEPT="text/csv")
    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    rows = [line.split(",") for line in response.content.decode().strip().split("\r\n")]
    assert rows[0] == ["date", "issued", "paid", "refunded", "credited", "outstanding", "currency"]
    assert rows[1] == ["2026-03-02", "263.80", "183.80", "0.00", "0.00", "110.00", "EUR"]
    assert rows[-1] == ["total", "279.82", "243.80", "10.00", "0.00", "126.02", "EUR"]
    aging = client.get(AGING, {"clinic": str(clinic.pk)}, HTTP_ACCEPT="text/csv").content.decode().split("\r\n")
    assert aging[0] == "bucket,outstanding,overdue,invoices,currency,as_of"
    assert aging[4].startswith("90+,126.02,126.02,3,EUR,")
    assert aging[5].startswith("total,126.02,126.02,3,EUR,")
