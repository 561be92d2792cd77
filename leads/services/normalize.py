"""Normalised customer identifiers: the keys the per-dealer dedupe constraints compare.

Whatever format a consultant types ("030 1234567", "+49 (0)30 123 4567", "0049301234567"), the
same number becomes the same E.164 string, so a slightly different spelling cannot create a
second card for the same person.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

DEFAULT_REGION = "DE"
_NATIONAL_ID_JUNK = re.compile(r"[^0-9A-Za-z]")


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number ("" when nothing was given).

    National numbers are read in `region` (the dealer's country). Raises ValidationError with a
    clear message when the input is not a valid phone number."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number. Enter it with area code, e.g. %(example)s."),
            code="invalid_phone",
            params={"value": text[:40], "example": _example(region)},
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. Enter it with area code, e.g. %(example)s."
            ),
            code="invalid_phone",
            params={"value": text[:40], "example": _example(region)},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _example(region: str) -> str:
    example = phonenumbers.example_number_for_type(
        (region or DEFAULT_REGION).upper(), phonenumbers.PhoneNumberType.MOBILE
    )
    if example is None:
        return "+49 151 23456789"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_phone(e164: str) -> str:
    """Readable international form of a stored E.164 number."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str | None) -> str:
    """Trimmed, lower-cased e-mail address ("" when nothing was given); ValidationError when it
    is not an e-mail address."""
    text = (raw or "").strip().lower()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address."),
            code="invalid_email",
            params={"value": text[:60]},
        ) from exc
    return text


def normalize_national_id(raw: str | None) -> str:
    """Upper-cased national ID with spaces, dashes and dots removed ("" when not given)."""
    text = _NATIONAL_ID_JUNK.sub("", (raw or "")).upper()
    if raw and raw.strip() and not text:
        raise ValidationError(
            _("Enter the national ID with its letters and digits."), code="invalid_national_id"
        )
    if len(text) > 40:
        raise ValidationError(
            _("A national ID has at most 40 letters and digits."), code="invalid_national_id"
        )
    return text
