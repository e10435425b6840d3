"""The admin in a real browser: a login with a second factor, a typo search, one patient opened; all audited.

Playwright's sync API drives Debian's chromium (/usr/bin/chromium; Playwright
never downloads a browser here) against pytest-django's ``live_server``.
"""

import re
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.clinics.tests.factories import ClinicFactory
from apps.patients.tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL = "root@example.test"
PASSWORD = "a-long-enough-passphrase-9"
CHANGELIST = "/admin/patients/patient/"


def current_code(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now (the server accepts one 30-second step either way)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.fixture
def browser_page(request, monkeypatch):
    """A fresh chromium page; on a failure its screenshot goes to a temporary directory (named in the output)."""
    # Playwright's sync API keeps an event loop in this thread; Django's ORM, which the
    # test uses between page steps, refuses to run under one unless told it is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does so)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(10_000)  # a hung page fails in seconds, not in pytest's lifetime
        page = context.new_page()
        try:
            yield page
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                shot = Path(tempfile.mkdtemp(prefix="admin-browser-")) / "failure.png"
                page.screenshot(path=str(shot), full_page=True)
                # Shown with the failure in pytest's summary (the call's report is printed at the end).
                report.sections.append(("screenshot of the failing page", str(shot)))
            context.close()
            browser.close()


@pytest.fixture
def superuser_with_totp(transactional_db):
    root = User.objects.create_superuser(EMAIL, PASSWORD)
    device = TOTPDevice.objects.create(user=root, name="authenticator", confirmed=True)
    return root, device


@pytest.fixture
def patients(transactional_db):
    """One clinic; fixed names so the typo search has exactly one right answer among near misses."""
    clinic = ClinicFactory(name="Riverside")
    wanted = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker", date_of_birth=date(1980, 5, 1))
    for given, family in [("Otto", "Zimmermann"), ("Otto", "Becker"), ("Anna", "Berg"), ("Jonas", "Weber")]:
        PatientFactory(clinic=clinic, given_name=given, family_name=family)
    return wanted


def _login(page, live_server, *, code: str | None) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    if code is not None:
        page.fill("input[name=otp_token]", code)
    page.click("input[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_admin_login_with_a_second_factor_typo_search_and_open_a_patient(
    browser_page, live_server, superuser_with_totp, patients
):
    page = browser_page
    root, device = superuser_with_totp
    wanted = patients

    # Password alone is refused for a user with a confirmed device: the form again, no session.
    _login(page, live_server, code=None)
    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert page.locator("input[name=otp_token]").is_visible()
    assert page.locator(".errornote").count() == 1
    assert not any(cookie["name"] == "sessionid" for cookie in page.context.cookies())
    assert not AuditEvent.objects.filter(action="auth.login", actor=root).exists()

    # With the authenticator's current code: the admin index.
    _login(page, live_server, code=current_code(device))
    assert page.url == f"{live_server.url}/admin/"
    assert page.locator("#site-name").inner_text().strip() == "ClinicOps"
    assert any(cookie["name"] == "sessionid" for cookie in page.context.cookies())

    # The changelist's search box, with two typos: exactly Jennifer Becker.
    page.goto(f"{live_server.url}{CHANGELIST}")
    page.fill("#searchbar", "Jenifer Beker")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/admin/patients/patient/?q=*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert wanted.mrn in row
    assert "Becker" in row
    assert "Jennifer" in row

    # Open her record: the change form shows her MRN (read-only).
    rows.first.locator("th a").click()
    # The link keeps the search in ?_changelist_filters=..., so match the path only.
    page.wait_for_url(re.compile(rf"{re.escape(CHANGELIST)}{wanted.pk}/change/(\?.*)?$"))
    assert page.locator(".field-mrn .readonly").inner_text().strip() == wanted.mrn
    assert page.locator("input[name=family_name]").input_value() == "Becker"

    # Every step left its audit event.
    login = AuditEvent.objects.get(action="auth.login", actor=root)
    assert login.changes == {"path": "admin"}
    listed = AuditEvent.objects.filter(action="patient.list", actor=root)
    assert [str(wanted.pk)] in [event.changes["ids"] for event in listed]  # the search page showed only her
    read = AuditEvent.objects.get(action="patient.read", actor=root)
    assert read.resource_id == str(wanted.pk)
