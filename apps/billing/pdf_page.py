"""What invoice and credit-note PDFs share: the page, its fonts, the clinic's header, the patient block.

Names may be in any script. The text font is a Unicode TrueType font (DejaVu
Sans, Debian's fonts-dejavu-core: Latin, Greek, Cyrillic, Arabic, Hebrew);
characters it lacks are drawn from a fallback font (WenQuanYi Micro Hei,
Debian's fonts-wqy-microhei: Chinese, Japanese, Korean), which is loaded only
for a document that needs it (parsing it takes about a second). Settings
``INVOICE_PDF_FONT``, ``INVOICE_PDF_FONT_BOLD`` and
``INVOICE_PDF_FALLBACK_FONT`` point elsewhere. A character neither font has is
drawn as "?" rather than left to fpdf2, which would log it: it may be part of
a patient's name. Without the text font, the built-in Helvetica is used and
anything outside Latin-1 becomes "?".
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont, TTFFont

from apps.clinics.locales import label_language
from apps.clinics.models import Clinic
from apps.patients.models import Patient

logger = logging.getLogger("clinicops.billing")

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
DEFAULT_FALLBACK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LATIN_1 = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))


@contextmanager
def document_language(clinic: Clinic) -> Iterator[None]:
    """Labels in the clinic's language (English where locale/ has no catalog for it)."""
    with translation.override(label_language(clinic.locale)):
        yield


def labelled(label: str, value: str) -> str:
    """``Label: value``, the one shape of every fact and total on a document."""
    return f"{label}: {value}"


def _glyphs(font: CoreFont | TTFFont) -> frozenset[int]:
    assert isinstance(font, TTFFont)
    return frozenset(font.cmap)


class InvoicePdf(FPDF):
    """A page setup with the configured fonts and a "?" for every character none of them can draw."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        regular = getattr(settings, "INVOICE_PDF_FONT", DEFAULT_FONT)
        bold = getattr(settings, "INVOICE_PDF_FONT_BOLD", DEFAULT_FONT_BOLD)
        fallback = getattr(settings, "INVOICE_PDF_FALLBACK_FONT", DEFAULT_FALLBACK_FONT)
        self.fallback_path = fallback if fallback and Path(fallback).is_file() else None
        if Path(regular).is_file() and Path(bold).is_file():
            self.add_font("body", "", regular)
            self.add_font("body", "B", bold)
            self.body_font = "body"
            self.glyphs = _glyphs(self.fonts["body"]) & _glyphs(self.fonts["bodyB"])
        else:
            logger.warning("invoice PDF font not found, using Helvetica (Latin-1 only)", extra={"font": regular})
            self.body_font = "helvetica"
            self.glyphs = LATIN_1
            self.fallback_path = None  # fpdf2 falls back from Unicode fonts only

    def _load_fallback(self) -> None:
        assert self.fallback_path is not None
        self.add_font("fallback", "", self.fallback_path)
        # One style: bold text in another script is drawn regular rather than not at all.
        self.set_fallback_fonts(["fallback"], exact_match=False)
        self.glyphs = self.glyphs | _glyphs(self.fonts["fallback"])
        self.fallback_path = None

    def safe(self, text: str) -> str:
        if self.fallback_path is not None and any(ord(ch) not in self.glyphs for ch in text):
            self._load_fallback()
        return "".join(ch if ord(ch) in self.glyphs else "?" for ch in text)

    def write_line(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.cell(0, height, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def clinic_header(pdf: InvoicePdf, clinic: Clinic) -> None:
    """The sender: legal name (the trading name under it if different), address, contact, tax number."""
    pdf.write_line(clinic.legal_name or clinic.name, size=16, bold=True, height=8)
    parts = [clinic.name] if clinic.legal_name and clinic.legal_name != clinic.name else []
    parts += [*clinic.address.splitlines(), clinic.phone, clinic.email]
    if clinic.tax_number:
        parts.append(_("Tax number: %(number)s") % {"number": clinic.tax_number})
    for part in parts:
        if part.strip():  # the clinic's own details, never a patient's
            pdf.write_line(part.strip(), size=9, height=4.5)
    pdf.ln(6)


def patient_block(pdf: InvoicePdf, heading: str, patient: Patient) -> None:
    """The addressee: name, MRN and postal address."""
    place = " ".join(part for part in (patient.postal_code, patient.city) if part)
    lines = [f"{patient.given_name} {patient.family_name}", _("MRN %(mrn)s") % {"mrn": patient.mrn}]
    pdf.write_line(heading, size=10, bold=True)
    for part in [*lines, *(part for part in (patient.address_line, place, patient.country) if part)]:
        pdf.write_line(part, size=10, height=5)
    pdf.ln(4)
