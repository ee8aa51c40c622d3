"""Field validators on the model fields: forms, the admin, the CSV import and ``full_clean()`` share them."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator, RegexValidator
from django.utils.deconstruct import deconstructible

from .rules import (
    AMPERAGE_MAX,
    AMPERAGE_MIN,
    MAX_POWER_MIN,
    SECURITY_CODE_MIN_LENGTH,
    VOLTAGE_MAX,
    VOLTAGE_MIN,
)

# OCPP 2.0.1 identifierString: a-z, A-Z, 0-9 and * - _ = : + | @ .
validate_station_id = RegexValidator(
    regex=r"\A[A-Za-z0-9*\-_=:+|@.]+\Z",
    message=(
        "Use only letters, digits and * - _ = : + | @ . (no spaces or slashes): "
        "the station identifies itself to the platform with this ID."
    ),
    code="invalid_station_id",
)

validate_no_whitespace = RegexValidator(
    regex=r"\A\S*\Z",
    message="Must not contain spaces or other whitespace.",
    code="whitespace",
)


def _compiled_now(validator: RegexValidator) -> RegexValidator:
    """``validator`` with its regex compiled once, here.

    Django keeps a ``RegexValidator``'s regex in a ``SimpleLazyObject``, each attribute access of which
    costs more than the match itself (about 2.5 µs): the CSV import runs these on thousands of cells. The
    constructor's arguments (what migrations and ``__eq__`` read) are unchanged.
    """
    validator.regex = re.compile(validator.regex.pattern, validator.flags)
    return validator


validate_station_id = _compiled_now(validate_station_id)
validate_no_whitespace = _compiled_now(validate_no_whitespace)

validate_security_code_length = MinLengthValidator(
    SECURITY_CODE_MIN_LENGTH,
    message="Use at least %(limit_value)d characters (this one has %(show_value)d).",
)

# One message per range, below and above alike (codes stay Django's min_value / max_value).
VOLTAGE_MESSAGE = f"Enter whole volts from {VOLTAGE_MIN} to {VOLTAGE_MAX}."
AMPERAGE_MESSAGE = f"Enter whole amperes from {AMPERAGE_MIN} to {AMPERAGE_MAX}."

voltage_validators = [
    MinValueValidator(VOLTAGE_MIN, message=VOLTAGE_MESSAGE),
    MaxValueValidator(VOLTAGE_MAX, message=VOLTAGE_MESSAGE),
]
amperage_validators = [
    MinValueValidator(AMPERAGE_MIN, message=AMPERAGE_MESSAGE),
    MaxValueValidator(AMPERAGE_MAX, message=AMPERAGE_MESSAGE),
]

# Positive, two decimals at most (the field's own DecimalValidator says so, code max_decimal_places).
max_power_validators = [
    MinValueValidator(
        MAX_POWER_MIN,
        message="Enter a maximum power above 0 kW (in kW, e.g. 7.4), or leave it empty.",
    ),
]

# Control characters (Cc: tab, line breaks, form feed…), format characters (Cf: zero-width space, joiners,
# byte-order mark, soft hyphen…) and the line / paragraph separators: none is ever meant in a value, and
# an invisible one makes a code or an ID that looks right and never matches.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_CHARACTER_NAMES = {
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
    "\f": "a form feed",
    "\u00ad": "a soft hyphen",
    "\u200b": "a zero-width space",
    "\u200c": "a zero-width non-joiner",
    "\u200d": "a zero-width joiner",
    "\u2060": "a word joiner",
    "\ufeff": "a byte-order mark",
}


@deconstructible
class VisibleTextValidator:
    """Refuse control and invisible characters (SPEC §1), naming the first one found and where it is.

    ``whitespace_refused`` is for a field whose ``validate_no_whitespace`` already refuses a tab or a line
    break, with its own message: one error per fault.
    """

    code = "invisible_character"

    def __init__(self, whitespace_refused: bool = False):
        self.whitespace_refused = whitespace_refused

    def __call__(self, value: str) -> None:
        # Printable text (the common case) has none of them: the per-character look is only for the rest.
        if not isinstance(value, str) or value.isprintable():
            return
        for index, character in enumerate(value):
            if unicodedata.category(character) not in _UNSEEN_CATEGORIES:
                continue
            if self.whitespace_refused and character.isspace():
                continue
            name = _CHARACTER_NAMES.get(character) or unicodedata.name(character, "a control character")
            raise ValidationError(
                "Remove %(character)s (U+%(codepoint)04X, character %(position)d): text must not contain "
                "control characters (tabs, line breaks…) or invisible ones.",
                code=self.code,
                params={"character": name.lower(), "codepoint": ord(character), "position": index + 1},
            )

    def __eq__(self, other):
        return isinstance(other, VisibleTextValidator) and self.whitespace_refused == other.whitespace_refused


validate_visible_text = VisibleTextValidator()
validate_visible_nonblank_text = VisibleTextValidator(whitespace_refused=True)


DIGITS_MESSAGE = "Numbers are written with the digits 0–9 only."


def validate_ascii_digits(text: str) -> None:
    """Refuse a number written with other digits (٢٣٠, ２３０): ``int()`` reads them, people's tools don't.

    The one rule for every way in: the CSV's parser, the form field and the API's number field call it on
    the text before converting it.
    """
    if any(character.isdigit() and not character.isascii() for character in text):
        raise ValidationError(DIGITS_MESSAGE, code="invalid_number")
