"""Field validators on the model fields: forms, the admin, the CSV import and ``full_clean()`` share them."""

from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator, RegexValidator

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
