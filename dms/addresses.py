"""Countries and postal codes of addresses (customers' cards, dealers).

Countries: ISO 3166-1 alpha-2 codes as the `phonenumbers` library knows them (its regions with a
numbering plan: every inhabited country and territory, plus XK for Kosovo; not Antarctica and a
few uninhabited islands), with their names in the reader's language from the same library's
geocoding data. No other country library is installed (pycountry, django-countries and
django-localflavor are not in the environment); phonenumbers is, and is kept up to date.

Postal codes: no installed library knows them, so POSTAL_CODES below is a table of the formats,
taken from the Universal Postal Union's addressing pages and Google's address metadata
(libaddressinput's "zip" patterns, https://chromium-i18n.appspot.com/ssl-address): a code is
upper-cased, its spaces tidied and, where the country writes it one way, put in that form
(NL "1234 AB", PL "00-950", PT "1000-001", GB "SW1A 1AA"). A country not in the table gets a
plain sanity check (letters, digits, one space or hyphen between them, 2 to 10 characters).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from phonenumbers import geocoder

# Regions phonenumbers knows that are not ISO 3166-1 countries (Ascension and Tristan da Cunha
# are parts of SH); XK (Kosovo) is a user-assigned code in wide use and stays.
NOT_COUNTRIES = frozenset({"AC", "TA"})
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) - NOT_COUNTRIES


def _geocoder_language(language: str) -> str:
    return {"zh-hans": "zh", "zh-hant": "zh_Hant"}.get(language, language.split("-")[0])


# Names the geocoding data has for no language (regions sharing a calling code with others).
OWN_NAMES = {
    "BL": "Saint Barthélemy",
    "EH": "Western Sahara",
    "MF": "Saint Martin",
    "XK": "Kosovo",
}


def _geocoded(example: phonenumbers.PhoneNumber, lang: str) -> str:
    name = geocoder.country_name_for_number(example, lang)
    return "" if name.startswith("*") else name  # "*zh": a reference the data left unresolved


@functools.lru_cache(maxsize=8)
def _names(language: str) -> dict[str, str]:
    """Every country's name in `language` (English where the data has none)."""
    lang = _geocoder_language(language)
    names = {}
    for code in COUNTRIES:
        example = phonenumbers.example_number(code)
        name = ""
        if example is not None:
            name = _geocoded(example, lang) or _geocoded(example, "en")
        names[code] = name or OWN_NAMES.get(code, code)
    return names


def country_name(code: str) -> str:
    """The country's name in the active language ("Germany", "ドイツ", "德国")."""
    return _names(translation.get_language() or "en").get(code.upper(), code)


def country_choices(first: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(code, name) of every country in the active language, by name; `first` (e.g. the
    dealer's country) at the top."""
    names = _names(translation.get_language() or "en")
    ordered = sorted(names.items(), key=lambda item: item[1].casefold())
    top = [(code, names[code]) for code in first if code in names]
    return top + [item for item in ordered if item[0] not in first]


def clean_country(value: str | None) -> str:
    """An ISO country code, upper case ('' stays ''), or ValidationError."""
    code = (value or "").strip().upper()
    if code and code not in COUNTRIES:
        raise ValidationError(
            _("Choose a country from the list (a two-letter code such as DE)."), code="country"
        )
    return code


@dataclass(frozen=True)
class PostalFormat:
    pattern: str  # the code as written, after upper-casing and tidying spaces
    example: str
    # how to write it: a regex with groups and the template joining them (None: as typed)
    canonical: tuple[str, str] | None = None


POSTAL_CODES: dict[str, PostalFormat] = {
    "AT": PostalFormat(r"\d{4}", "1010"),
    "BE": PostalFormat(r"\d{4}", "1000"),
    "BG": PostalFormat(r"\d{4}", "1000"),
    "CH": PostalFormat(r"\d{4}", "8001"),
    "CN": PostalFormat(r"\d{6}", "100000"),
    "CZ": PostalFormat(r"\d{3} ?\d{2}", "110 00", (r"(\d{3}) ?(\d{2})", r"\1 \2")),
    "DE": PostalFormat(r"\d{5}", "10115"),
    "DK": PostalFormat(r"\d{4}", "1050"),
    "EE": PostalFormat(r"\d{5}", "10111"),
    "ES": PostalFormat(r"\d{5}", "28001"),
    "FI": PostalFormat(r"\d{5}", "00100"),
    "FR": PostalFormat(r"\d{2} ?\d{3}", "75001", (r"(\d{2}) ?(\d{3})", r"\1\2")),
    "GB": PostalFormat(
        r"GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
        "SW1A 1AA",
        (r"([A-Z\d]{2,4}) ?(\d[A-Z]{2})", r"\1 \2"),
    ),
    "GR": PostalFormat(r"\d{3} ?\d{2}", "105 57", (r"(\d{3}) ?(\d{2})", r"\1 \2")),
    "HR": PostalFormat(r"\d{5}", "10000"),
    "HU": PostalFormat(r"\d{4}", "1011"),
    "IE": PostalFormat(r"[\dA-Z]{3} ?[\dA-Z]{4}", "D02 X285", (r"(\w{3}) ?(\w{4})", r"\1 \2")),
    "IT": PostalFormat(r"\d{5}", "00118"),
    "JP": PostalFormat(r"\d{3}-?\d{4}", "100-0001", (r"(\d{3})-?(\d{4})", r"\1-\2")),
    "LT": PostalFormat(r"(?:LT-)?\d{5}", "LT-01100", (r"(?:LT-)?(\d{5})", r"LT-\1")),
    "LU": PostalFormat(r"(?:L-)?\d{4}", "1009", (r"(?:L-)?(\d{4})", r"\1")),
    "LV": PostalFormat(r"(?:LV-)?\d{4}", "LV-1010", (r"(?:LV-)?(\d{4})", r"LV-\1")),
    "NL": PostalFormat(r"\d{4} ?[A-Z]{2}", "1012 AB", (r"(\d{4}) ?([A-Z]{2})", r"\1 \2")),
    "NO": PostalFormat(r"\d{4}", "0150"),
    "PL": PostalFormat(r"\d{2}-?\d{3}", "00-950", (r"(\d{2})-?(\d{3})", r"\1-\2")),
    "PT": PostalFormat(r"\d{4}-?\d{3}", "1000-001", (r"(\d{4})-?(\d{3})", r"\1-\2")),
    "RO": PostalFormat(r"\d{6}", "010011"),
    "SE": PostalFormat(r"\d{3} ?\d{2}", "111 22", (r"(\d{3}) ?(\d{2})", r"\1 \2")),
    "SI": PostalFormat(r"\d{4}", "1000"),
    "SK": PostalFormat(r"\d{3} ?\d{2}", "811 01", (r"(\d{3}) ?(\d{2})", r"\1 \2")),
    "US": PostalFormat(r"\d{5}(?:[ -]\d{4})?", "10001", (r"(\d{5})[ -]?(\d{4})?", r"\1-\2")),
}

ANY_POSTAL_CODE = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+)?")


def clean_postal_code(value: str | None, country: str | None) -> str:
    """The postal code as `country` writes it, or ValidationError naming the expected form.
    '' stays ''."""
    code = " ".join((value or "").upper().split())
    if not code:
        return ""
    found = POSTAL_CODES.get((country or "").upper())
    if found is None:
        if not (2 <= len(code) <= 10 and ANY_POSTAL_CODE.fullmatch(code)):
            raise ValidationError(
                _("Enter the postal code with letters and digits only (2 to 10 characters)."),
                code="postal_code",
            )
        return code
    if not re.fullmatch(found.pattern, code):
        raise ValidationError(
            _("This is not a postal code of %(country)s (for example %(example)s).")
            % {"country": country_name(country or ""), "example": found.example},
            code="postal_code",
        )
    if found.canonical is not None:
        pattern, template = found.canonical
        match = re.fullmatch(pattern, code)
        if match is not None:
            code = match.expand(template).rstrip("-")
    return code
