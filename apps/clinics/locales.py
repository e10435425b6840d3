"""The locales a clinic may choose (``Clinic.locale``): how its invoices format amounts and dates.

Plain Python with no Django import: the image's build stage reads this list
to keep only the CLDR data these locales need (docker/trim_locale_data.py).
Labels are translated for the locale's language where ClinicOps has a
catalog (``locale/``: English and German); other languages get English labels
with their own number and date formats.
"""

# BCP 47 tags, as stored in Clinic.locale. Adding one here is enough: the build keeps its CLDR data.
CLINIC_LOCALES: dict[str, str] = {
    "en-US": "English (United States)",
    "en-GB": "English (United Kingdom)",
    "en-IE": "English (Ireland)",
    "de-DE": "German (Germany)",
    "de-AT": "German (Austria)",
    "de-CH": "German (Switzerland)",
    "fr-FR": "French (France)",
    "fr-CH": "French (Switzerland)",
    "it-IT": "Italian (Italy)",
    "es-ES": "Spanish (Spain)",
    "nl-NL": "Dutch (Netherlands)",
    "pl-PL": "Polish (Poland)",
    "zh-CN": "Chinese (China)",
    "ja-JP": "Japanese (Japan)",
}

# Languages with a translation catalog under locale/ (settings.LANGUAGES).
LABEL_LANGUAGES = ("en", "de")


def label_language(locale: str) -> str:
    """The language of a clinic's document labels: the locale's own if translated, else English."""
    language = locale.split("-", 1)[0].lower() if locale else ""
    return language if language in LABEL_LANGUAGES else "en"
