"""Keep only the CLDR locale data that the clinics' locales need; delete the rest (the image's build stage).

    python docker/trim_locale_data.py /opt/venv/lib/python3.11/site-packages/babel/locale-data

Babel ships one ``.dat`` file per CLDR locale (about 1,000, 32 MB). A
locale's data is its own file merged over its parents' (``de_AT`` over ``de``
over ``root``; ``en_GB`` over ``en_001`` over ``en``). The files kept are those
Babel opens while it formats an amount and a date in each locale of
apps/clinics/locales.py, as ClinicFormat does (tests/deploy/test_locale_data.py
renders every locale from the kept files alone). ``babel/global.dat`` (likely
subtags, parents, currency digits) is outside this folder and stays.
"""

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.clinics.locales import CLINIC_LOCALES


def needed_locale_files(locales: list[str] | None = None) -> set[str]:
    """The names (without ``.dat``) of the files Babel loads for these BCP 47 locales."""
    from babel import Locale, localedata
    from babel.dates import format_date
    from babel.numbers import format_currency

    loaded: set[str] = {"root"}
    original = localedata.load

    def recording(name: str, merge_inherited: bool = True) -> object:
        loaded.add(name)
        return original(name, merge_inherited)

    localedata._cache.clear()  # a cached locale would not be recorded
    localedata.load = recording  # type: ignore[assignment]  # load() recurses through the module's name
    try:
        for tag in locales if locales is not None else list(CLINIC_LOCALES):
            locale = Locale.parse(tag.replace("-", "_"))
            format_currency(Decimal("1234.50"), "EUR", locale=locale)
            format_date(date(2026, 3, 2), format="medium", locale=locale)
    finally:
        localedata.load = original
        localedata._cache.clear()
    return loaded


def trim(folder: Path) -> tuple[int, int]:
    """Delete every locale file that is not needed; returns (files kept, bytes removed)."""
    keep = needed_locale_files()
    removed = 0
    kept = 0
    for path in folder.glob("*.dat"):
        if path.stem in keep:
            kept += 1
            continue
        removed += path.stat().st_size
        path.unlink()
    missing = keep - {path.stem for path in folder.glob("*.dat")}
    if missing:
        raise SystemExit(f"locale data missing after the trim: {sorted(missing)}")
    return kept, removed


if __name__ == "__main__":
    kept_files, removed_bytes = trim(Path(sys.argv[1]))
    print(f"babel locale-data: kept {kept_files} files, removed {removed_bytes / 1e6:.1f} MB")
