"""The revenue and aging reports as CSV (``Accept: text/csv``), for a spreadsheet or the accountant.

Revenue: one row per day with a figure, then a ``total`` row. Aging: one row
per bucket, then ``total``. Amounts are the same decimal strings as in JSON
(a dot, the currency's places), and every row names the currency.
"""

import csv
import io
from typing import Any

from rest_framework import renderers

from apps.billing.reports import DAY_FIGURES


def revenue_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", *DAY_FIGURES, "currency"])
    for day in report["by_day"]:
        writer.writerow([str(day["date"]), *(day[name] for name in DAY_FIGURES), report["currency"]])
    totals = report["totals"]
    writer.writerow(["total", *(totals[name] for name in DAY_FIGURES), report["currency"]])
    return out.getvalue()


def aging_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["bucket", "outstanding", "overdue", "invoices", "currency", "as_of"])
    for row in [*report["buckets"], {"bucket": "total", **report["total"]}]:
        writer.writerow(
            [
                row["bucket"],
                row["outstanding"],
                row["overdue"],
                row["invoices"],
                report["currency"],
                str(report["as_of"]),
            ]
        )
    return out.getvalue()


class ReportCsvRenderer(renderers.BaseRenderer):
    """``text/csv`` for the two reports; an error body stays JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, dict) and "by_day" in data:
            return revenue_csv(data).encode()
        if isinstance(data, dict) and "buckets" in data:
            return aging_csv(data).encode()
        return renderers.JSONRenderer().render(data)
