"""Driving licence numbers, checked by the country that issued the licence (the customer's
country on the card, else the dealer's).

No installed library knows licence numbers (python-stdnum, which has a few, is not in the
environment), so LICENCE_FORMATS is a table of the formats that are public and stable, each
with its source; a country not in it gets only a plain check (letters and digits, 5 to 20 of
them). Spaces, hyphens, dots and slashes are dropped before the check and the number is kept
in upper case.

- DE: the EU card licence (since 2013; "Führerscheinnummer" on field 5): 11 characters, the
  issuing authority's 4, a 5-character serial, a check character (digit or X) and the issue
  count (a digit) — Fahrerlaubnis-Verordnung, Anlage 8.
- NL: 10 digits (RDW, "rijbewijsnummer", field 5).
- GB: the DVLA driver number, 16 characters: 5 of the surname (padded with 9), 6 digits of the
  birth date (the month +50 for women), 2 initials (padded with 9), a digit, 2 check letters.
- ES: the licence number is the holder's DNI (8 digits and its check letter, the remainder of
  the number divided by 23 in "TRWAGMYFPDXBNJZSQVHLCKE") or NIE (X, Y or Z, 7 digits, the check
  letter, the X/Y/Z counted as 0/1/2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dms.addresses import country_name

SEPARATORS = re.compile(r"[\s./-]+")
ANY_LICENCE = re.compile(r"[A-Z0-9]{5,20}")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _dni_checks(number: str) -> bool:
    digits = number[:-1]
    if digits[0] in "XYZ":
        digits = str("XYZ".index(digits[0])) + digits[1:]
    return DNI_LETTERS[int(digits) % 23] == number[-1]


@dataclass(frozen=True)
class LicenceFormat:
    pattern: str
    example: str
    check: object = None  # a function number -> bool (a check character), or None


LICENCE_FORMATS: dict[str, LicenceFormat] = {
    "DE": LicenceFormat(r"[A-Z0-9]{9}[0-9X][0-9]", "B072RRE2I55"),
    "NL": LicenceFormat(r"\d{10}", "5012345678"),
    "GB": LicenceFormat(r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}", "MORGA753116SM9IJ"),
    "ES": LicenceFormat(r"(?:\d{8}|[XYZ]\d{7})[A-Z]", "12345678Z", _dni_checks),
}


def clean_licence_number(value: str | None, country: str | None) -> str:
    """The licence number without separators, upper case, checked for `country`; '' stays ''.
    Raises ValidationError naming the form the country's licences have."""
    number = SEPARATORS.sub("", (value or "").upper())
    if not number:
        return ""
    found = LICENCE_FORMATS.get((country or "").upper())
    if found is None:
        if not ANY_LICENCE.fullmatch(number):
            raise ValidationError(
                _("A driving licence number has 5 to 20 letters and digits."), code="licence"
            )
        return number
    check = found.check
    if not re.fullmatch(found.pattern, number) or (callable(check) and not check(number)):
        raise ValidationError(
            _(
                "This is not the number of a driving licence from %(country)s "
                "(for example %(example)s)."
            )
            % {"country": country_name(country or ""), "example": found.example},
            code="licence",
        )
    return number
