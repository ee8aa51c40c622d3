"""Field validators on the model fields: forms, the admin, the CSV import and ``full_clean()`` share them."""

from django.core.validators import MinLengthValidator, RegexValidator

from .rules import SECURITY_CODE_MIN_LENGTH

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
