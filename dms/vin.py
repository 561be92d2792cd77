"""Vehicle identification numbers (ISO 3779): one validator for every module.

17 characters, digits and capital letters without I, O and Q. The check digit (position 9,
ISO 3779 / 49 CFR 565) is mandatory only for vehicles made for North America (world
manufacturer identifiers starting 1–5), so it is checked only there: a European VIN carries any
character in that position.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# Transliteration of letters to numbers and the position weights of 49 CFR 565.15.
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_REGIONS = frozenset("12345")  # North America


def check_digit(vin: str) -> str:
    """The check digit (position 9) a VIN should carry: '0'–'9' or 'X'."""
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(value: str) -> str:
    """The VIN upper-cased without spaces or dashes, or a ValidationError that says why."""
    vin = re.sub(r"[\s-]+", "", value or "").upper()
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has exactly 17 characters; this one has %(count)d.") % {"count": len(vin)}
        )
    if not VIN_PATTERN.match(vin):
        raise ValidationError(_("A VIN uses only digits and the letters A–Z except I, O and Q."))
    if vin[0] in CHECK_DIGIT_REGIONS and vin[8] != check_digit(vin):
        raise ValidationError(
            _("The check digit (9th character) of this VIN should be %(digit)s.")
            % {"digit": check_digit(vin)}
        )
    return vin
