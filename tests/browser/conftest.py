"""Browser tests: each test's outcome is kept on its item, so a fixture can screenshot only failures."""

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
