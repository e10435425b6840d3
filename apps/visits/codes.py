"""Diagnosis codes: free codes of the ICD-10 shape (letter, two digits or A/B, optional dot and 1-4 more).

No code list is shipped (ICD-10-GM, ICD-10-CM and WHO differ, and their
licences vary): the shape check catches typos and injected text, and the
clinic's coder stays responsible for the meaning. ``U`` is reserved by WHO for
provisional codes, so it is refused here as ``^[A-TV-Z]`` says.
"""

import re
import unicodedata

from apps.core.errors import ApplicationError

ICD10_SHAPE = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
MAX_CODES = 20


def clean_diagnosis_codes(raw: list[str]) -> list[str]:
    """The codes upper-cased, in order, without repeats; 400 naming each bad one (nothing is written)."""
    if len(raw) > MAX_CODES:
        raise ApplicationError(
            f"At most {MAX_CODES} diagnosis codes.", fields={"diagnosis_codes": [f"At most {MAX_CODES}."]}
        )
    errors: dict[str, list[str]] = {}
    cleaned: list[str] = []
    for index, code in enumerate(raw):
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in code):
            errors[str(index)] = ["Control characters are not allowed."]
            continue
        value = code.strip().upper()
        if not ICD10_SHAPE.match(value):
            errors[str(index)] = ["Not an ICD-10-shaped code (e.g. J06.9)."]
            continue
        if value not in cleaned:
            cleaned.append(value)
    if errors:
        raise ApplicationError("Some diagnosis codes are invalid.", fields={"diagnosis_codes": errors})
    return cleaned
