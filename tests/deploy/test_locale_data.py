"""The image keeps only the CLDR data of the clinics' locales (docker/trim_locale_data.py): enough for each.

Every locale of apps/clinics/locales.py formats an invoice's amounts and dates
from the kept files alone exactly as it does from Babel's full data.
"""

import runpy
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel import localedata

from apps.billing.locale_format import ClinicFormat
from apps.clinics.locales import CLINIC_LOCALES

REPO = Path(__file__).resolve().parents[2]
TRIM = runpy.run_path(str(REPO / "docker" / "trim_locale_data.py"), run_name="trim_locale_data")


def rendered() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for tag in CLINIC_LOCALES:
        fmt = ClinicFormat(tag)
        out[tag] = (
            fmt.money(Decimal("1234567.8"), "EUR"),
            fmt.money(Decimal("103.8"), "USD"),
            fmt.money(Decimal("1500"), "JPY"),
            fmt.day(date(2026, 3, 2)),
        )
    return out


@pytest.fixture
def trimmed_babel(tmp_path, monkeypatch):
    """Babel reading a copy of its locale data trimmed as the image's build stage trims it."""
    folder = tmp_path / "locale-data"
    shutil.copytree(localedata._dirname, folder)
    kept, removed = TRIM["trim"](folder)
    monkeypatch.setattr(localedata, "_dirname", str(folder))
    localedata._cache.clear()
    yield kept, removed
    localedata._cache.clear()


def test_every_clinic_locale_formats_the_same_from_the_trimmed_data(trimmed_babel):
    localedata._cache.clear()
    full = rendered()
    kept, removed = trimmed_babel
    assert rendered() == full
    assert full["de-DE"][1] == "103,80 $"
    assert kept < 40
    assert removed > 25_000_000  # the point of the trim: most of Babel's 32 MB


def test_a_locale_outside_the_list_is_gone_and_formats_neutrally(trimmed_babel):
    folder = Path(localedata._dirname)
    assert not (folder / "pt_BR.dat").exists()
    assert (folder / "de_CH.dat").exists()
    # A locale stored before the list existed (or removed from it) prints neutral formats, not a 500.
    fmt = ClinicFormat("pt-BR")
    assert (fmt.money(Decimal("103.8"), "EUR"), fmt.day(date(2026, 3, 2))) == ("103.80 EUR", "2026-03-02")
