"""Log lines carry no query string, even when Django's own loggers pass the request."""

import logging

from django.test import RequestFactory

from apps.core.logging import JsonFormatter


def test_django_request_log_lines_leave_the_request_and_its_query_string_out():
    request = RequestFactory().get("/api/v1/patients/", {"search": "Quuxleyworth"})
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), None)
    record.status_code = 500
    record.request = request
    line = JsonFormatter().format(record)
    assert "Quuxleyworth" not in line
    assert '"status_code": 500' in line
